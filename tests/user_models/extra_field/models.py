"""Django's ``AbstractUser`` with one more required field, which LINE cannot fill."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    birth_year = models.PositiveSmallIntegerField()

    REQUIRED_FIELDS = ["email", "birth_year"]
