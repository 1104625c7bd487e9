from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path
from django.views import View

from line_auth.decorators import RecentLineLoginRequiredMixin, recent_line_login


@recent_line_login(max_age=300)
def change_email(request):
    """A sensitive action, as a site would guard it (tests/flows/test_recent_login.py)."""
    return HttpResponse(f"changing the email of user {request.user.pk}")


@recent_line_login(max_age=300, prompt_login=True)
def close_account(request):
    return HttpResponse(f"closing the account of user {request.user.pk}")


class PaymentView(RecentLineLoginRequiredMixin, View):
    line_login_max_age = 120

    def get(self, request):
        return HttpResponse(f"paying as user {request.user.pk}")


# A page with one LINE button per channel the request may use, as a multi-country site shows.
BUTTONS = engines["django"].from_string(
    "{% load line_auth %}{% line_web_channels as channels %}"
    "{% for channel in channels %}{% line_login_button channel=channel.name next='/accounts/line/account/' %}"
    "{% endfor %}"
)


def buttons(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BUTTONS.render({}, request))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/line/", include("line_auth.urls")),
    path("done/", lambda request: HttpResponse("done"), name="done"),
    path("buttons/", buttons, name="buttons"),
    path("sensitive/email/", change_email),
    path("sensitive/close/", close_account),
    path("sensitive/pay/", PaymentView.as_view()),
]
