"""The yearly training acknowledgment, asked of the admin site for the one-time step on the
interstitial (IIBGC: "training … periodically thereafter").

``TrainingStatus.due(user)`` says whether ``user`` owes an acknowledgment (and where the
training page is); ``acknowledge(user)`` records one (``POST /api/v1/training/acknowledgments``).
Answers are cached per user for ``TTL_SECONDS`` (a failed ask for ``FAILURE_TTL_SECONDS``), at
most ``MAX_USERS`` of them, oldest dropped first.

mitmproxy serves every client from one event loop, so nothing here may block it: ``due`` only
reads the cache (starting an ask on a worker thread when the answer is missing), ``ask`` lets a
hook await an answer for at most ``WAIT_SECONDS`` while the loop serves everyone else, and
``acknowledge`` is a coroutine whose HTTP call runs on a thread. An answer that comes later is
cached for the next page. StaffGuard's own fault never costs a staff member anything: an admin
site that is down, slow or odd means no step (fail open, logged), never a page that does not come.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import urllib.parse
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
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

    def due(self, user: str | None) -> Due | None:
        """What ``user`` owes, if the answer is at hand; None when nothing or not known yet (an
        ask is then started, so a later page has it). Never waits."""
        if not user:
            return None
        return self._start(user.strip().lower())[0]

    def known(self, user: str) -> bool:
        """Whether a fresh answer for ``user`` is cached (a failed ask counts: it is known)."""
        with self._lock:
            cached = self._cache.get(user.strip().lower())
            return cached is not None and cached[0] > time.monotonic()

    async def ask(self, user: str, wait: float = WAIT_SECONDS) -> Due | None:
        """``due``, awaiting a missing answer for at most ``wait`` seconds without holding up
        the event loop; an answer that comes later is cached."""
        user = user.strip().lower()
        due, future = self._start(user)
        if future is not None:
            # asyncio.wait, not wait_for: a timeout must not cancel the ask itself.
            await asyncio.wait({asyncio.wrap_future(future)}, timeout=wait)
            due = self._start(user)[0] if future.done() else None
        return due

    def _start(self, user: str) -> tuple[Due | None, Future[Due | None] | None]:
        """The cached answer, or None and the ask in flight for it (started if none is)."""
        with self._lock:
            cached = self._cache.get(user)
            if cached is not None and cached[0] > time.monotonic():
                return cached[1], None
            future = self._asking.get(user)
            if future is None:
                future = self._pool.submit(self._ask, user)
                self._asking[user] = future
            return None, future

    async def acknowledge(self, user: str) -> bool:
        """Record ``user``'s acknowledgment at the admin site; True when it is recorded. Only
        the staff member who clicked waits for it (at most ``ACK_WAIT_SECONDS``)."""
        user = user.strip().lower()
        try:
            reply = await asyncio.wait_for(
                asyncio.to_thread(
                    call,
                    f"{self.base_url}/api/v1/training/acknowledgments",
                    token=self.token,
                    json_body={"user": user, "via": "proxy"},
                    timeout=CALL_TIMEOUT,
                ),
                ACK_WAIT_SECONDS,
            )
        except Exception as error:  # OSError, a timeout: the staff member is sent to the page
            log.warning("staffguard: acknowledgment of %s not recorded (%r)", user, error)
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
