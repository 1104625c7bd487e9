"""A user model that inherits from a concrete model (multi-table inheritance): a site's
``Member`` came first, and its users were made members. The user's columns live in two
tables, and its primary key is the link to its ``Member`` row."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class Member(models.Model):
    member_since = models.DateField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"member {self.pk}"


class User(Member, AbstractUser):
    objects = UserManager()  # not Member's plain manager, which comes first

    def __str__(self) -> str:
        return self.get_username()
