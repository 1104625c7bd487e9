"""The names of LINE's optional authorization parameters and the values LINE documents.

Plain constants that import nothing of line_auth, so the settings (whose default
for ``LINE_AUTH_REQUEST_OPTIONS`` is every name) and the validators in
:mod:`line_auth.internal.options` share them without an import cycle.
Source: integrate-line-login, "authorization request".
"""

SCOPES = ("profile", "openid", "email")
PROMPTS = ("consent", "none", "login")
BOT_PROMPTS = ("normal", "aggressive")
INITIAL_AMR_DISPLAYS = ("lineqr",)
RESPONSE_MODES = ("query", "form_post")
SWITCHES = ("switch_amr", "disable_auto_login", "disable_ios_auto_login")

OPTION_NAMES = (
    "scope",
    "prompt",
    "max_age",
    "ui_locales",
    "bot_prompt",
    "initial_amr_display",
    *SWITCHES,
    "response_mode",
)
