"""The few HTML pages a browser sees on the emulated access.line.me.

They are deliberately plain: no JavaScript is needed (the form_post page only uses a
script to save a click), and they fit a phone screen so manual tests work on a device.
"""

from __future__ import annotations

from html import escape

from .authorize import AuthorizationResult, AuthRequest
from .state import EmulatedUser

# Form field names of the consent page; kept apart from LINE's own query parameters.
ACTION = "action"
USER_FIELD = "emulator_user"
NEW_NAME_FIELD = "emulator_new_name"
NEW_EMAIL_FIELD = "emulator_new_email"
FRIEND_FIELD = "emulator_add_friend"
EMAIL_FIELD = "emulator_grant_email"
CONTROL_FIELDS = frozenset(
    {ACTION, USER_FIELD, NEW_NAME_FIELD, NEW_EMAIL_FIELD, FRIEND_FIELD, EMAIL_FIELD}
)

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:28rem;padding:1rem;line-height:1.5}
h1{font-size:1.3rem} fieldset{border:1px solid #ccc;border-radius:.5rem;margin:1rem 0}
button{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem .3rem .3rem 0;
 border-radius:.4rem;border:1px solid #888}
button[value=approve]{background:#06c755;color:#fff;border-color:#06c755}
label{display:block;margin:.3rem 0}
input[type=text],input[type=email],select{font-size:1rem;width:100%}
.note{color:#555;font-size:.9rem}
"""


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _hidden(params: dict[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in params.items()
    )


def consent_page(
    request: AuthRequest,
    *,
    action_url: str,
    users: list[EmulatedUser],
    selected_user_id: str | None,
    friend_option: bool,
) -> str:
    """The consent screen with the user picker and the emulator's test controls."""
    channel_id = escape(request.channel.channel_id)
    options = "".join(
        f'<option value="{escape(u.user_id)}"{" selected" * (u.user_id == selected_user_id)}>'
        f"{escape(u.name)} ({escape(u.user_id)})</option>"
        for u in users
    )
    scopes = ", ".join(escape(s) for s in request.scopes)
    friend = ""
    if friend_option:
        friend = (
            f'<label><input type="checkbox" name="{FRIEND_FIELD}" value="1" checked> '
            "Add the channel's LINE Official Account as a friend</label>"
            '<p class="note">Ignored if the chosen user is already a friend.</p>'
        )
    email = ""
    if "email" in request.scopes:
        email = (
            f'<label><input type="checkbox" name="{EMAIL_FIELD}" value="1" checked> '
            "Share my email address (optional)</label>"
        )
    auto_login = ""
    if not request.disable_auto_login:
        auto_login = (
            f'<button type="submit" name="{ACTION}" value="auto_login_failure">'
            "Simulate auto-login failure</button>"
        )
    body = f"""
<h1>LINE Login (emulator)</h1>
<p>Channel <strong>{channel_id}</strong> requests: {scopes}.</p>
<form method="post" action="{escape(action_url)}">
{_hidden(request.query)}
<fieldset><legend>Log in as</legend>
<label>Existing user <select name="{USER_FIELD}">
<option value="">New user…</option>{options}</select></label>
<label>New user's name <input type="text" name="{NEW_NAME_FIELD}" placeholder="Taro Line"></label>
<label>New user's email <input type="email" name="{NEW_EMAIL_FIELD}" placeholder="optional"></label>
</fieldset>
{friend}{email}
<p><button type="submit" name="{ACTION}" value="approve">Allow</button>
<button type="submit" name="{ACTION}" value="deny">Cancel</button></p>
<fieldset><legend>Emulator test controls</legend>
{auto_login}
<button type="submit" name="{ACTION}" value="server_error">Server error</button>
</fieldset>
</form>"""
    return _document("LINE Login (emulator)", body)


def form_post_page(result: AuthorizationResult) -> str:
    """OAuth 2.0 Form Post Response Mode: a self-submitting form, plus a button for no-JS."""
    body = (
        f'<form method="post" action="{escape(result.url)}">{_hidden(result.form)}'
        "<noscript><p>JavaScript is off: press the button to continue.</p>"
        '<button type="submit">Continue</button></noscript></form>'
        "<script>document.forms[0].submit()</script>"
    )
    return _document("Redirecting…", body)


def error_page(message: str) -> str:
    """LINE shows a page instead of redirecting when client_id or redirect_uri is wrong (§3.6)."""
    return _document("LINE Login error", f"<h1>400 Bad Request</h1><p>{escape(message)}</p>")
