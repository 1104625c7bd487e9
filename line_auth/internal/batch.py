"""The batch engine: work over many accounts, calls to LINE in parallel, writes in batches.

The token refresh and the friendship sync run through here from their
management commands, their tasks and the admin actions, so paging, concurrency,
commits and progress behave the same everywhere:

- Rows are read in keyset pages (primary-key order), so memory stays flat at any
  number of rows, no cursor is held open while rows are written, and a run
  started again after an interruption simply carries on.
- ``ask`` (the call to LINE) runs in a thread pool with at most
  ``2 × concurrency`` calls in flight; it must not touch the database, so no
  connection is shared between threads.
- The calling thread takes answers as they arrive and ``record`` writes them in
  batches, one commit per ``WRITE_BATCH`` answers or ``WRITE_EVERY`` seconds,
  whichever comes first. A finished call frees its slot at once, so calls to
  LINE never wait for a commit.
- ``progress`` is called at most every ``PROGRESS_EVERY`` seconds, and once at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet

from line_auth import audit

Row = TypeVar("Row", bound=Model)
Answer = TypeVar("Answer")
Result = TypeVar("Result")

PROGRESS_EVERY = 2.0  # seconds between progress reports
# Measured with benchmarks/refresh_bulk.py at 50 ms per LINE call: a commit per finished
# call (3-5 ms each on SQLite) kept the main thread busy and calls waiting to be handed
# out (78% of the ideal rate at concurrency 16, 93-95% with batches). Batches much
# longer than 20 ms hold the GIL long enough to delay the worker threads (84% at 32).
WRITE_BATCH = 200  # answers written per commit at most
WRITE_EVERY = 0.02  # seconds an answer may wait for its commit


@dataclass(frozen=True)
class Steps(Generic[Row, Answer, Result]):
    """What happens to each row.

    ``settle`` gives the result when LINE need not be asked (``None`` when it
    must); ``ask`` calls LINE in a worker thread; ``record`` writes its answer
    on the calling thread, inside a batch's transaction.
    """

    settle: Callable[[Row], Result | None]
    ask: Callable[[Row], Answer]
    record: Callable[[Row, Answer], Result]


def pages(rows: QuerySet[Row], size: int) -> Iterator[list[Row]]:
    """``rows`` in primary-key order, ``size`` at a time, each page one short query."""
    rows = rows.order_by("pk")
    last_pk: Any = None
    while page := list((rows if last_pk is None else rows.filter(pk__gt=last_pk))[:size]):
        yield page
        last_pk = page[-1].pk


def run(
    rows: QuerySet[Row],
    steps: Steps[Row, Answer, Result],
    *,
    concurrency: int,
    page_size: int,
    on_result: Callable[[Row, Result], None],
    progress: Callable[[], None] | None = None,
) -> None:
    """Settle or ask about every row of ``rows``; ``on_result`` hears each outcome once."""
    _Run(steps, concurrency, on_result, progress).over(rows, page_size)


class _Run(Generic[Row, Answer, Result]):
    """One run's state: calls in flight, answers awaiting their commit, the last report."""

    def __init__(
        self,
        steps: Steps[Row, Answer, Result],
        concurrency: int,
        on_result: Callable[[Row, Result], None],
        progress: Callable[[], None] | None,
    ) -> None:
        self.steps = steps
        self.concurrency = max(1, concurrency)
        self.on_result = on_result
        self.progress = progress
        # Finished calls land here from the worker threads (a done-callback each), so the
        # calling thread takes answers one by one instead of polling every pending future.
        self.finished: SimpleQueue[tuple[Row, Future[Answer]]] = SimpleQueue()
        self.in_flight = 0
        self.answered: list[tuple[Row, Answer]] = []
        self.last_write = self.last_progress = time.monotonic()

    def over(self, rows: QuerySet[Row], page_size: int) -> None:
        with ThreadPoolExecutor(
            max_workers=self.concurrency, thread_name_prefix="line-batch", initializer=audit.defer_in_this_thread
        ) as pool:
            for page in pages(rows, page_size):
                for row in page:
                    settled = self.steps.settle(row)
                    if settled is not None:
                        self.done(row, settled)
                        continue
                    while self.in_flight >= 2 * self.concurrency:
                        self.collect()
                    self.submit(pool, row)
            while self.in_flight:
                self.collect()
        self.write()
        if self.progress is not None:
            self.progress()

    def submit(self, pool: ThreadPoolExecutor, row: Row) -> None:
        """Start one call to LINE; its answer is queued for the calling thread when it ends."""
        future = pool.submit(self.steps.ask, row)
        self.in_flight += 1
        future.add_done_callback(lambda finished: self.finished.put((row, finished)))

    def collect(self) -> None:
        """Take the answers that have arrived (waiting for one), and write when a batch is due."""
        deadline = self.last_write + WRITE_EVERY
        try:
            row, future = self.finished.get(timeout=max(0.0, deadline - time.monotonic()))
            while True:
                self.answered.append((row, future.result()))
                self.in_flight -= 1
                row, future = self.finished.get_nowait()
        except Empty:
            pass
        if len(self.answered) >= WRITE_BATCH or time.monotonic() >= deadline:
            self.write()

    def write(self) -> None:
        """Write the answers collected so far, one row each, in one commit."""
        if self.answered:
            with transaction.atomic():
                for row, answer in self.answered:
                    self.done(row, self.steps.record(row, answer))
            self.answered.clear()
        audit.write_deferred()  # the workers' calls to LINE
        self.last_write = time.monotonic()

    def done(self, row: Row, result: Result) -> None:
        self.on_result(row, result)
        if self.progress is not None and time.monotonic() - self.last_progress >= PROGRESS_EVERY:
            self.last_progress = time.monotonic()
            self.progress()
