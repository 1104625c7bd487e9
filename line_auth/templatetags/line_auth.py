"""``{% load line_auth %}{% line_login_button next=request.path %}``: the LINE button."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("line_auth/snippets/login_button.html", takes_context=True)
def line_login_button(context: template.Context, next: str = "", **options: Any) -> dict[str, Any]:
    """Render the login button; keyword options (``bot_prompt="aggressive"``) go to LINE."""
    return {"request": context.get("request"), "csrf_token": context.get("csrf_token"),
            "next": next, "options": options}
