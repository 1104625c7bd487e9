"""URL routes: ``path("accounts/line/", include("line_auth.urls"))``.

The callback URL to register in the LINE Developers Console is the absolute
URL of ``line_auth:complete``, e.g. ``https://example.com/accounts/line/complete/``.
"""

from django.urls import path

from line_auth.views import native, web, webhook

app_name = "line_auth"

urlpatterns = [
    path("login/", web.LoginView.as_view(), name="login"),
    path("login/<slug:channel>/", web.LoginView.as_view(), name="login_channel"),
    path("complete/", web.CallbackView.as_view(), name="complete"),
    path("account/", web.AccountView.as_view(), name="account"),
    path("disconnect/", web.DisconnectView.as_view(), name="disconnect"),
    path("webhook/", webhook.WebhookView.as_view(), name="webhook"),
    path("native/nonce/", native.NonceView.as_view(), name="native_nonce"),
    path("native/login/", native.NativeLoginView.as_view(), name="native_login"),
]
