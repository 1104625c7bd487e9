from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineAuthConfig(AppConfig):
    name = "line_auth"
    verbose_name = _("LINE Login")
    # Pinned so a project's DEFAULT_AUTO_FIELD never asks for a migration here.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import pre_delete

        import line_auth.checks  # noqa: F401  (registers the system checks)
        from line_auth import receivers, sessions

        user_logged_out.connect(
            receivers.revoke_on_logout, dispatch_uid="line_auth.revoke_on_logout"
        )
        user_logged_in.connect(sessions.restore_expiry, dispatch_uid="line_auth.restore_session_expiry")
        pre_delete.connect(
            receivers.deauthorize_on_delete,
            sender=get_user_model(),
            dispatch_uid="line_auth.deauthorize_on_delete",
        )
