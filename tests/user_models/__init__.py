"""User models real sites use, one small app each, for the user-model test matrix.

``LINE_AUTH_TEST_USER_MODEL`` names one of them; tests/settings.py installs that
app alone (AUTH_USER_MODEL is fixed per process) and makes its ``User`` the user
model. Unset, the suite runs with Django's default ``auth.User``.
"""

USER_MODEL_APPS = ("email_only", "no_username", "extra_field", "inherited")
