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
- Every call to LINE first takes a slot of the shared budget
  (:mod:`line_auth.internal.budget`), so any number of runs together stay under
  ``LINE_AUTH_LINE_REQUESTS_PER_SECOND``.
- With ``Steps.lease`` set, each page's rows are leased (:mod:`~line_auth.internal.leases`)
  and read again before anything is asked, and a lease is given up only once its
  row's answer is committed: two runs over the same rows never ask about one row
  at the same time, and a row another run finished meanwhile is no longer due.

Big jobs are cut into :class:`Job` chunks (keyset ranges of primary keys) that
any number of task workers run; a management command runs the same chunks in
its own process.
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
from line_auth.internal import budget, leases

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
    on the calling thread, inside a batch's transaction. ``lease`` names the
    leases taken on each row (see the module docstring); ``None`` takes none.
    """

    settle: Callable[[Row], Result | None]
    ask: Callable[[Row], Answer]
    record: Callable[[Row, Answer], Result]
    lease: str | None = None


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
        self.leased: set[Any] = set()  # rows whose lease this run holds
        self.finished_rows: list[Any] = []  # leased rows whose outcome is committed
        self.last_write = self.last_progress = time.monotonic()

    def over(self, rows: QuerySet[Row], page_size: int) -> None:
        try:
            with ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="line-batch", initializer=audit.defer_in_this_thread
            ) as pool:
                for page in pages(rows, page_size):
                    for row in self.take(rows, page):
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
        finally:
            if self.steps.lease is not None:
                leases.release(self.steps.lease, self.leased)
        if self.progress is not None:
            self.progress()

    def take(self, rows: QuerySet[Row], page: list[Row]) -> list[Row]:
        """The page's rows this run may work on: leased here, then read again."""
        if self.steps.lease is None or not leases.available():
            return page
        claimed = leases.claim(self.steps.lease, (row.pk for row in page))
        self.leased |= claimed
        # Read after the lease: a row another run finished meanwhile has left ``rows``.
        fresh = list(rows.filter(pk__in=claimed).order_by("pk")) if claimed else []
        self.finished_rows.extend(claimed - {row.pk for row in fresh})
        return fresh

    def submit(self, pool: ThreadPoolExecutor, row: Row) -> None:
        """Start one call to LINE; its answer is queued for the calling thread when it ends."""
        future = pool.submit(_within_budget, self.steps.ask, row)
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
        """Write the answers collected so far, one row each, in one commit; then free their leases."""
        if self.answered:
            with transaction.atomic():
                for row, answer in self.answered:
                    self.done(row, self.steps.record(row, answer))
            self.answered.clear()
        audit.write_deferred()  # the workers' calls to LINE
        if self.finished_rows and self.steps.lease is not None:
            leases.release(self.steps.lease, self.finished_rows)
            self.leased.difference_update(self.finished_rows)
            self.finished_rows.clear()
        self.last_write = time.monotonic()

    def done(self, row: Row, result: Result) -> None:
        if row.pk in self.leased:
            self.finished_rows.append(row.pk)
        self.on_result(row, result)
        if self.progress is not None and time.monotonic() - self.last_progress >= PROGRESS_EVERY:
            self.last_progress = time.monotonic()
            self.progress()


def _within_budget(ask: Callable[[Row], Answer], row: Row) -> Answer:
    """``ask``, once the shared budget of requests to LINE allows one more."""
    budget.spend()
    return ask(row)


@dataclass(frozen=True)
class Job:
    """Batch work any number of workers share, one chunk of rows each.

    ``rows(**params)`` gives the rows still due, read again when each chunk
    runs, so a chunk run twice (a retry, a redelivery after a worker died)
    does only what is left; ``run`` works through a chunk's rows and returns
    counts. ``params`` must be JSON (task arguments cross process boundaries).
    ``retry_when`` names the count that, when not zero, means "try this chunk
    again later" (LINE could not answer).
    """

    name: str
    rows: Callable[..., QuerySet[Any]]
    run: Callable[[QuerySet[Any]], dict[str, int]]
    retry_when: str | None = None


JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    """Make ``job`` runnable by name, as chunk tasks refer to it."""
    JOBS[job.name] = job
    return job


def chunks(rows: QuerySet[Any], size: int) -> Iterator[tuple[Any, Any]]:
    """The first and last primary key of each run of ``size`` rows, one short query each."""
    keys = rows.order_by("pk").values_list("pk", flat=True)
    last: Any = None
    while page := list((keys if last is None else keys.filter(pk__gt=last))[:size]):
        yield page[0], page[-1]
        last = page[-1]


def run_chunk(name: str, first: Any, last: Any, params: dict[str, Any]) -> dict[str, int]:
    """Run job ``name`` over its rows still due with primary keys from ``first`` to ``last``."""
    job = JOBS[name]
    return job.run(job.rows(**params).filter(pk__gte=first, pk__lte=last))
