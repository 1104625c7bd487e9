"""The LINE Login button, and the notice of what ending a link does, as template tags.

Usage::

    {% load line_auth %}
    {% line_login_button %}
    {% line_login_button next=request.path size="large" %}
    {% line_login_button next="/welcome/" bot_prompt="aggressive" label=_("Sign up with LINE") %}
    {% line_login_button channel="tw" %}

    {% line_web_channels as channels %}
    {% for channel in channels %}{% line_login_button channel=channel.name %}{% endfor %}

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
from django.http import HttpRequest

from line_auth import channels
from line_auth.channels import Channel, UnknownChannel
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
    channel: str = "",
    **options: Any,
) -> dict[str, Any]:
    """Render the LINE Login button.

    ``next`` is where the visitor lands after logging in (checked against the
    site's host). ``size`` is ``"large"``, ``"medium"`` (the default) or
    ``"small"``. ``label`` replaces the text "Log in with LINE". ``channel`` is
    the short name of the channel to log in through (docs/channels.md); the
    button then shows that channel's label, and without it the login uses the
    site's default channel. Any other
    keyword (``bot_prompt="aggressive"``, ``prompt="consent"``...) is a LINE
    authorization option for this login; a value LINE does not accept is
    refused with a clear page when the button is pressed.
    """
    if size not in BUTTON_SIZES:
        raise template.TemplateSyntaxError(
            f"line_login_button: size must be one of {', '.join(BUTTON_SIZES)}, not {size!r}"
        )
    chosen = _web_channel(channel) if channel else None
    return {
        "channel": chosen.name if chosen else "",
        "line_channel": chosen,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "next": next,
        "size": size,
        "label": label,
        "options": options,
    }


def _web_channel(name: str) -> Channel:
    try:
        chosen = channels.get(name)
    except UnknownChannel:
        raise template.TemplateSyntaxError(f"line_login_button: no LINE channel is called {name!r}") from None
    if not chosen.serves_web_login:
        raise template.TemplateSyntaxError(f"line_login_button: channel {name!r} takes no web login")
    return chosen


@register.simple_tag(takes_context=True)
def line_web_channels(context: template.Context) -> tuple[Channel, ...]:
    """The channels this request may log in with in a browser, for one button each."""
    request = context.get("request")
    offered = channels.for_request(request) if isinstance(request, HttpRequest) else channels.all_channels()
    return tuple(channel for channel in offered if channel.serves_web_login)
@register.simple_tag
def line_link_notice() -> str:
    """The notice LINE's guidelines ask for next to unlink and delete controls, translated."""
    return str(LINE_LINK_NOTICE)
