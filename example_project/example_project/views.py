"""The example site's own page: "delete my account", through line_auth's erasure."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from line_auth.privacy import erase_user_data


class DeleteAccountView(LoginRequiredMixin, View):
    """GET: what deleting means, with LINE's notice. POST: erase the LINE data, then the user."""

    template_name = "delete_account.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # Deauthorizes at LINE first (queued if LINE is down), then forgets the links.
        erase_user_data(user)
        logout(request)
        user.delete()
        messages.success(request, _("Your account was deleted."))
        return HttpResponseRedirect("/")
