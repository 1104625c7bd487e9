"""Public, read-only notifications. No payload ever carries a token.

Connect receivers in your ``AppConfig.ready()``. Senders are the classes named.
"""

from __future__ import annotations

from django.dispatch import Signal

# A LINE account was linked to a Django user for the first time.
# sender=LineAccount; kwargs: request, user, line_account
line_account_linked = Signal()

# A visitor logged in with LINE (first or returning).
# sender=LineAccount; kwargs: request, user, line_account, is_new_user
line_login = Signal()

# The friendship with the channel's Official Account changed.
# sender=LineAccount; kwargs: line_account, previous, current, source
# (previous/current are line_auth.models.Friendship values; source a FriendshipSource).
# Sent after commit by every source (login, webhook, sync, admin), once per change.
friendship_changed = Signal()

# A LINE account can no longer reach LINE for its user until they log in again:
# the refresh token was refused (invalid_grant) or its 90-day deadline passed.
# Its tokens were already dropped. sender=LineAccount; kwargs: line_account, reason
# (reason is "invalid_grant" or "expired")
line_relogin_needed = Signal()

# An audit record was committed (docs/audit.md). sender=AuditRecord; kwargs: record
# (an AuditRecord: never a token, code, secret or nonce). One signal per record.
audit_recorded = Signal()
