from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

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
]
