from django.contrib import admin
from django.http import HttpResponse
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


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/line/", include("line_auth.urls")),
    path("done/", lambda request: HttpResponse("done"), name="done"),
    path("sensitive/email/", change_email),
    path("sensitive/close/", close_account),
    path("sensitive/pay/", PaymentView.as_view()),
]
