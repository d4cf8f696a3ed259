"""The yearly training acknowledgment, asked of the admin site for the one-time step on the
interstitial (IIBGC: "training … periodically thereafter").

``TrainingStatus.due(user)`` says whether ``user`` owes an acknowledgment (and where the
training page is); ``acknowledge(user)`` records one (``POST /api/v1/training/acknowledgments``).
Answers are cached per user for ``TTL_SECONDS`` (a failed ask for ``FAILURE_TTL_SECONDS``), at
most ``MAX_USERS`` of them, oldest dropped first. Asks run on worker threads: a hook waits at
most ``WAIT_SECONDS`` for one, and an answer that comes later is cached for the next page.
StaffGuard's own fault never costs a staff member anything: an admin site that is down, slow
or odd means no step (fail open, logged), never a page that does not come.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from staffguard_common.http import call

log = logging.getLogger(__name__)

TTL_SECONDS = 600.0
FAILURE_TTL_SECONDS = 60.0
MAX_USERS = 10_000
WAIT_SECONDS = 0.5
ACK_WAIT_SECONDS = 5.0
CALL_TIMEOUT = 5.0


@dataclass(frozen=True)
class Due:
    """An acknowledgment owed: the period it is for and the training page to read."""

    period: str
    url: str


class TrainingStatus:
    def __init__(self, base_url: str, token: str, ttl: float = TTL_SECONDS):
        self.base_url, self.token, self.ttl = base_url.rstrip("/"), token, ttl
        self._cache: OrderedDict[str, tuple[float, Due | None]] = OrderedDict()
        self._asking: dict[str, Future[Due | None]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="staffguard-training")

    def due(self, user: str | None, wait: float = WAIT_SECONDS) -> Due | None:
        """What ``user`` owes, if anything; None when nothing, unknown or not known in time."""
        if not user:
            return None
        user = user.strip().lower()
        with self._lock:
            cached = self._cache.get(user)
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
            future = self._asking.get(user)
            if future is None:
                future = self._pool.submit(self._ask, user)
                self._asking[user] = future
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            return None  # the answer is cached when it comes, for the next page
        except Exception:
            log.exception("staffguard: training status for %s failed", user)
            return None

    def acknowledge(self, user: str) -> bool:
        """Record ``user``'s acknowledgment at the admin site; True when it is recorded."""
        user = user.strip().lower()
        try:
            reply = self._pool.submit(
                call,
                f"{self.base_url}/api/v1/training/acknowledgments",
                token=self.token,
                json_body={"user": user},
                timeout=CALL_TIMEOUT,
            ).result(timeout=ACK_WAIT_SECONDS)
        except Exception as error:  # OSError, a timeout: the staff member is sent to the page
            log.warning("staffguard: acknowledgment of %s not recorded (%s)", user, error)
            return False
        if reply.status != 201:
            log.warning("staffguard: acknowledgment of %s answered %s", user, reply.status)
            return False
        self._keep(user, None, self.ttl)
        return True

    def _ask(self, user: str) -> Due | None:
        query = urllib.parse.urlencode({"user": user})
        try:
            reply = call(
                f"{self.base_url}/api/v1/training/status?{query}",
                token=self.token,
                timeout=CALL_TIMEOUT,
            )
            answer = reply.json() if reply.status == 200 else None
            if not isinstance(answer, dict):
                raise ValueError(f"answered {reply.status}")
            url = answer.get("url")
            due = None
            if answer.get("due") is True and isinstance(url, str) and url.startswith("http"):
                due = Due(str(answer.get("period") or ""), url)
            self._keep(user, due, self.ttl)
            return due
        except (OSError, ValueError) as error:
            log.warning("staffguard: training status unknown for %s (%s); no step", user, error)
            self._keep(user, None, FAILURE_TTL_SECONDS)
            return None
        finally:
            with self._lock:
                self._asking.pop(user, None)

    def _keep(self, user: str, due: Due | None, ttl: float) -> None:
        with self._lock:
            self._cache[user] = (time.monotonic() + ttl, due)
            self._cache.move_to_end(user)
            while len(self._cache) > MAX_USERS:
                self._cache.popitem(last=False)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
