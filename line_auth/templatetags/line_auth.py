"""The LINE Login button, and the notice of what ending a link does, as template tags.

Usage::

    {% load line_auth %}
    {% line_login_button %}
    {% line_login_button next=request.path size="large" %}
    {% line_login_button next="/welcome/" bot_prompt="aggressive" label=_("Sign up with LINE") %}

The button is ``line_auth/snippets/login_button.html``; override that template to
change its markup. Its CSS is the static file ``line_auth/line_auth.css``.

``{% line_link_notice %}`` prints the sentence saying that unlinking or deleting
the account notifies LY Corporation and removes the link with LINE, translated;
put it in sign-up terms. ``{% include "line_auth/includes/line_link_notice.html" %}``
renders it as a paragraph (docs/templates.md).
"""

from __future__ import annotations

from typing import Any

from django import template

from line_auth.deauthorization import LINE_LINK_NOTICE

register = template.Library()

#: Sizes of the button (see the LINE Login button guidelines); "medium" is 44 px high.
BUTTON_SIZES = ("large", "medium", "small")


@register.inclusion_tag("line_auth/snippets/login_button.html", takes_context=True)
def line_login_button(
    context: template.Context,
    next: str = "",
    size: str = "medium",
    label: str = "",
    **options: Any,
) -> dict[str, Any]:
    """Render the LINE Login button.

    ``next`` is where the visitor lands after logging in (checked against the
    site's host). ``size`` is ``"large"``, ``"medium"`` (the default) or
    ``"small"``. ``label`` replaces the text "Log in with LINE". Any other
    keyword (``bot_prompt="aggressive"``, ``prompt="consent"``...) is a LINE
    authorization option for this login; a value LINE does not accept is
    refused with a clear page when the button is pressed.
    """
    if size not in BUTTON_SIZES:
        raise template.TemplateSyntaxError(
            f"line_login_button: size must be one of {', '.join(BUTTON_SIZES)}, not {size!r}"
        )
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "next": next,
        "size": size,
        "label": label,
        "options": options,
    }


@register.simple_tag
def line_link_notice() -> str:
    """The notice LINE's guidelines ask for next to unlink and delete controls, translated."""
    return str(LINE_LINK_NOTICE)
