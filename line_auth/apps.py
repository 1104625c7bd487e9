from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

from line_auth.conf import line_settings


class LineAuthConfig(AppConfig):
    name = "line_auth"
    verbose_name = _("LINE Login")
    # Pinned so a project's DEFAULT_AUTO_FIELD never asks for a migration here.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.core.signals import request_finished, request_started
        from django.db.models.signals import pre_delete
        from django.test.signals import setting_changed

        import line_auth.checks  # noqa: F401  (registers the system checks)
        from line_auth import audit, channels, receivers
        from line_auth.internal import sessions

        user_logged_out.connect(
            receivers.revoke_on_logout, dispatch_uid="line_auth.revoke_on_logout"
        )
        user_logged_in.connect(sessions.restore_expiry, dispatch_uid="line_auth.restore_session_expiry")
        setting_changed.connect(channels.forget_settings, dispatch_uid="line_auth.forget_channel_settings")
        request_started.connect(audit.request_started, dispatch_uid="line_auth.audit_request_started")
        request_finished.connect(audit.request_finished, dispatch_uid="line_auth.audit_request_finished")
        pre_delete.connect(
            receivers.deauthorize_on_delete,
            sender=get_user_model(),
            dispatch_uid="line_auth.deauthorize_on_delete",
        )
        self.extend_user_admin()

    @staticmethod
    def extend_user_admin() -> None:
        """Add the LINE accounts inline to the user admin, whatever the order of INSTALLED_APPS.

        The user admin may be registered by an app listed after line_auth, and the
        admin app's own ``ready`` (which imports every ``admin`` module) may not
        have run yet. ``autodiscover`` is what that ``ready`` calls, and it imports
        each module once, so calling it first here guarantees every admin module
        has been imported, and the admin never imports one twice. A project on
        ``SimpleAdminConfig`` registers its admins itself and is left alone.
        """
        from django.contrib.admin.apps import AdminConfig

        if not line_settings.enable_admin or not any(
            isinstance(config, AdminConfig) for config in apps.get_app_configs()
        ):
            return
        from django.contrib import admin

        from line_auth.admin import add_inline_to_user_admin

        admin.autodiscover()
        add_inline_to_user_admin(admin.site)
