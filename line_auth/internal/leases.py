"""Per-row leases that die with the process holding them: PostgreSQL advisory locks.

Two workers may be handed the same rows (a chunk queued twice, a task redelivered
after its worker vanished). A lease makes the second one skip a row the first is
still working on, without waiting; because it is a session lock, it is released
the moment the holder's database connection closes, so a worker killed with
``kill -9`` leaves nothing for anyone to clean up or wait out.

Other databases have no such lock: every row is granted, and the compare-and-set
writes of the callers keep the data right (LINE may then be asked twice).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from django.db import connection

# Advisory locks take two 32-bit keys: the namespace's, and the row's primary key folded
# into 31 bits. Two rows 2**31 apart share a key, so one may wait for the next run.
ROW_KEY_MODULUS = 2**31


def namespace_key(namespace: str) -> int:
    """A stable signed 32-bit key for ``namespace``, the same in every process."""
    return zlib.crc32(namespace.encode()) - 2**31


def available() -> bool:
    return connection.vendor == "postgresql"


def claim(namespace: str, pks: Iterable[int]) -> set[int]:
    """The primary keys this process now holds; those held elsewhere are left out."""
    wanted = list(pks)
    if not wanted or not available():
        return set(wanted)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pk FROM unnest(%s::bigint[]) AS pk "
            "WHERE pg_try_advisory_lock(%s, (pk %% %s)::integer)",
            [wanted, namespace_key(namespace), ROW_KEY_MODULUS],
        )
        return {row[0] for row in cursor.fetchall()}


def release(namespace: str, pks: Iterable[int]) -> None:
    """Give up the leases on ``pks`` (ones this process holds)."""
    held = list(pks)
    if not held or not available():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_unlock(%s, (pk %% %s)::integer) FROM unnest(%s::bigint[]) AS pk",
            [namespace_key(namespace), ROW_KEY_MODULUS, held],
        )
