from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from django.views.generic import TemplateView

from . import views

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("account/", login_required(TemplateView.as_view(template_name="account.html")), name="account"),
    path("account/delete/", views.DeleteAccountView.as_view(), name="delete_account"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("accounts/line/", include("line_auth.urls")),
    path("admin/", admin.site.urls),
]
