"""Validation of what a visitor posts to line_auth's pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from line_auth.models import LineAccount


class DisconnectForm(forms.Form):
    """Which of the visitor's own LINE accounts to unlink.

    A value that is not one of them, malformed ones included ("abc", "1.5", NUL,
    a number past any key), is an invalid choice rather than a database error.
    """

    account = forms.ModelChoiceField(queryset=LineAccount.objects.none())

    def __init__(self, accounts: QuerySet[LineAccount], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = accounts
