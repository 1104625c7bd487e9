from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineAuthConfig(AppConfig):
    name = "line_auth"
    verbose_name = _("LINE Login")
    # Pinned so a project's DEFAULT_AUTO_FIELD never asks for a migration here.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from line_auth import checks  # noqa: F401  (registers the system checks)
