"""Old command names kept for one release: each warns on stderr, then runs its new name.

Every command is now ``line_auth_<verb>``; projects that scheduled the old names
keep working until their next upgrade, and the warning tells them what to rename.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


def alias(command: type[BaseCommand], old_name: str, new_name: str) -> type[BaseCommand]:
    """``command`` under ``old_name``: the same options and output, after a deprecation warning."""

    class Deprecated(command):  # type: ignore[valid-type, misc]
        def handle(self, *args: Any, **options: Any) -> Any:
            self.stderr.write(
                _("%(old)s is deprecated and will be removed in the next release; use %(new)s.")
                % {"old": old_name, "new": new_name}
            )
            return super().handle(*args, **options)

    Deprecated.__doc__ = f"Deprecated alias of ``{new_name}``."
    return Deprecated
