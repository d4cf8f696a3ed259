"""Keeping the event log when the disk will not: nothing a disk does can stop a warning page.

``Recorder.record`` never raises. An event the spool cannot take (a full or read-only disk) is
counted, logged at error level, and held in memory, oldest first, until the background upkeep
gets it onto disk: events keep their order, and each reaches the file once. The memory is
bounded (``HOLD`` events); beyond it the oldest are dropped, and counted as lost. The counts go
to the admin site as the proxy's health report (``POST /api/v1/status``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from staffguard_common.http import call

from .spool import Spool, encode

log = logging.getLogger(__name__)

HOLD = 10_000
LOG_EVERY_SECONDS = 60.0


class Recorder:
    def __init__(self, spool: Spool, hold: int = HOLD):
        self.spool = spool
        self.hold = hold
        self.held: deque[bytes] = deque()
        self.log_failures = 0
        self.lost = 0
        self.last_failure: str | None = None
        self._logged_at = float("-inf")
        self._lock = threading.Lock()

    def record(self, event: dict[str, Any]) -> bool:
        """Keep one event; True when it is on disk now, False when it is held or was refused."""
        try:
            line = encode(event)
        except (ValueError, TypeError) as error:
            self.failed(f"event {event.get('id')} cannot be written: {error}")
            return False
        with self._lock:
            self.held.append(line)
            while len(self.held) > self.hold:
                self.held.popleft()
                self.lost += 1
            return self._flush()

    def retry(self) -> bool:
        """Write what is held (the background upkeep calls this); True when nothing is left."""
        if not self.held:
            return True
        with self._lock:
            return self._flush()

    def _flush(self) -> bool:
        while self.held:
            try:
                self.spool.write(self.held[0])
            except Exception as error:  # OSError, or anything else the disk layer throws
                self.failed(f"{self.spool.path}: {error}")
                return False
            self.held.popleft()
        return True

    def failed(self, what: str) -> None:
        self.log_failures += 1
        self.last_failure = f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {what}"
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_SECONDS:  # loud, but once a minute, not per page
            self._logged_at = now
            log.error(
                "staffguard: event log write failed (%d failures, %d held in memory, %d lost): %s",
                self.log_failures,
                len(self.held),
                self.lost,
                what,
            )

    def status(self, reporter: str, policy_version: str) -> dict[str, Any]:
        """The health report (`POST /api/v1/status` in docs/design.md) the site shows per proxy."""
        return {
            "reporter": reporter,
            "policy_version": policy_version,
            "spool_backlog": self.spool.backlog() + len(self.held),
            "log_failures": self.log_failures,
            "last_failure": self.last_failure,
        }


def report_status(base_url: str, token: str, status: dict[str, Any]) -> bool:
    """Send the health report; True when the admin site took it. A 404 (an admin site older
    than the status API) is not a failure worth more than a debug line."""
    try:
        reply = call(base_url.rstrip("/") + "/api/v1/status", token=token, json_body=status)
    except OSError as error:
        log.warning("staffguard: health report not sent (%s)", error)
        return False
    if reply.status in (200, 204):
        return True
    if reply.status == 404:
        log.debug("staffguard: the admin site has no status API yet")
    else:
        log.warning("staffguard: health report answered %s", reply.status)
    return False
