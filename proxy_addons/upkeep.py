"""The proxy's background upkeep, every two seconds: re-read or poll the policy, write events the
disk refused, and once a minute save and report the unclassified counts and the proxy's health.

One failing job never stops the others, and the thread starts only once mitmdump runs (see the
addon's ``running``), so nothing it logs can stop the proxy starting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .counts import UnclassifiedCounts
from .recorder import Recorder, report_status
from .source import PolicySource

log = logging.getLogger(__name__)

TICK_SECONDS = 2.0
MINUTE_TICKS = 30
POLL_TICKS = 15  # an admin site is polled every 30 s; list files are checked at every tick


class Upkeep(threading.Thread):
    def __init__(
        self, source: PolicySource, recorder: Recorder, counts: UnclassifiedCounts, reporter: str
    ):
        super().__init__(name="staffguard-upkeep", daemon=True)
        self.source, self.recorder, self.counts, self.reporter = source, recorder, counts, reporter
        self.stopping = threading.Event()

    def run(self) -> None:
        ticks = 0
        while not self.stopping.wait(TICK_SECONDS):
            ticks += 1
            for name, job in self.jobs(ticks):
                try:
                    job()
                except Exception:
                    log.exception("staffguard: background upkeep (%s) failed", name)

    def jobs(self, ticks: int) -> list[tuple[str, Callable[[], object]]]:
        jobs: list[tuple[str, Callable[[], object]]] = []
        if not self.source.url or ticks % POLL_TICKS == 0:
            jobs.append(("policy refresh", self.source.refresh))
        jobs.append(("held events", self.recorder.retry))
        if ticks % MINUTE_TICKS == 0:
            jobs.append(("unclassified counts", self.save_counts))
            if self.source.url:
                jobs.append(("counts report", self.report_counts))
                jobs.append(("health report", self.report_health))
        return jobs

    def save_counts(self) -> None:
        try:
            self.counts.save()
        except OSError as error:
            log.warning("staffguard: unclassified counts not saved (%s)", error)

    def report_counts(self) -> None:
        assert self.source.url
        self.counts.report(self.source.url, self.source.token)

    def report_health(self) -> None:
        assert self.source.url
        status = self.recorder.status(self.reporter, self.source.policy.version)
        report_status(self.source.url, self.source.token, status)

    def stop(self) -> None:
        self.stopping.set()
