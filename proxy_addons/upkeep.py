"""The proxy's background work, as a mitmproxy addon of its own: re-read or poll the policy,
write events the disk refused, ship the spool, save and report the unclassified counts and the
proxy's health.

Each job has a named interval. Nothing starts before mitmdump runs (``running``), so nothing a
job logs can stop the proxy starting; one failing job never stops the others. The request path
(``StaffGuard``) owns the parts these jobs work on; when its options change it builds new parts
and this addon's ``configure`` (after the guard's, see ``staffguard.py``) restarts on them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import identity, sessions
from .recorder import report_status

if TYPE_CHECKING:
    from .addon import StaffGuard
    from .spool import Shipper

log = logging.getLogger(__name__)

POLICY_FILES_SECONDS = 2.0  # list files: a stat per file, cheap enough to check often
POLICY_POLL_SECONDS = 30.0  # an admin site: a conditional GET (304 when nothing changed)
HELD_EVENTS_SECONDS = 2.0  # events the disk refused, written again
COUNTS_SECONDS = 60.0  # unclassified counts saved (and reported with an admin site)
# the health report to the admin site (the variable: for tests that wait on a report)
HEALTH_SECONDS = float(os.environ.get("STAFFGUARD_HEALTH_SECONDS", "60"))


@dataclass(frozen=True)
class Every:
    """A job and how often it runs."""

    name: str
    seconds: float
    job: Callable[[], object]


class Schedule(threading.Thread):
    """Runs each job once its interval has passed since its last run, until stopped."""

    def __init__(self, jobs: list[Every]):
        super().__init__(name="staffguard-upkeep", daemon=True)
        self.jobs = jobs
        self.stopping = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        due = {job.name: start + job.seconds for job in self.jobs}
        while self.jobs and not self.stopping.wait(max(0.0, min(due.values()) - time.monotonic())):
            now = time.monotonic()
            for job in self.jobs:
                if due[job.name] > now:
                    continue
                due[job.name] = now + job.seconds
                try:
                    job.job()
                except Exception:
                    log.exception("staffguard: background upkeep (%s) failed", job.name)

    def stop(self) -> None:
        self.stopping.set()


class Upkeep:
    """The addon: starts the schedule and the shipper once mitmdump runs, stops them at the end."""

    def __init__(self, guard: StaffGuard):
        self.guard = guard
        guard.background = self
        self.schedule: Schedule | None = None
        self.shipper: Shipper | None = None
        self._running = False
        self._source: object = None

    def running(self) -> None:
        self._running = True
        self._start()

    def configure(self, updated: set[str]) -> None:
        if self._running and self.guard.source is not self._source:
            self._start()

    def done(self) -> None:
        self.stop()

    def _start(self) -> None:
        self.stop()
        self._source = self.guard.source
        if self.guard.source is None:
            return
        self.schedule = Schedule(self.jobs())
        self.schedule.start()
        sessions.start(self.guard.source.url, self.guard.source.token)  # lab logons name users
        identity.start(self.guard.source.url, self.guard.source.token)  # enrolled devices' keys
        self.shipper = self.guard.shipper
        if self.shipper:
            self.shipper.start()

    def stop(self) -> None:
        """Stop the schedule and the shipper (the guard calls it before it replaces its parts)."""
        sessions.stop()
        identity.stop()
        if self.schedule:
            self.schedule.stop()
            self.schedule = None
        if self.shipper:
            self.shipper.stop()
            self.shipper = None

    def jobs(self) -> list[Every]:
        source, recorder = self.guard.source, self.guard.recorder
        assert source is not None and recorder is not None
        if not source.url:
            policy = Every("policy files", POLICY_FILES_SECONDS, source.refresh)
        else:
            policy = Every("policy poll", POLICY_POLL_SECONDS, source.refresh)
        jobs = [
            policy,
            Every("held events", HELD_EVENTS_SECONDS, recorder.retry),
            Every("unclassified counts", COUNTS_SECONDS, self.guard.save_counts),
        ]
        if source.url:
            jobs.append(Every("counts report", COUNTS_SECONDS, self.report_counts))
            jobs.append(Every("health report", HEALTH_SECONDS, self.report_health))
        return jobs

    def report_counts(self) -> None:
        source, counts = self.guard.source, self.guard.counts
        assert source is not None and source.url and counts is not None
        counts.report(source.url, source.token)

    def report_health(self) -> None:
        source, recorder = self.guard.source, self.guard.recorder
        assert source is not None and source.url and recorder is not None
        status = recorder.status(self.guard.reporter, source.policy.version)
        status.update(identity.state())
        report_status(source.url, source.token, status)
