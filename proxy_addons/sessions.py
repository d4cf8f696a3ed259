"""Who uses a client address: the admin site's address-to-user sessions (``/api/v1/sessions``),
sent by logon scripts in shared labs, polled here so events name a user without a proxy login.

A proxy-auth user always wins (``flows.user_of``). The table is only as true as the logon
scripts behind it; a failed poll keeps the table it had, and every entry ends at its expiry
even if the admin site is never heard from again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import urllib.parse
import urllib.request
from typing import Any

log = logging.getLogger(__name__)

POLL_SECONDS = float(os.environ.get("STAFFGUARD_SESSIONS_SECONDS", "10"))


class ClientSessions(threading.Thread):
    def __init__(self, base_url: str, token: str, every: float = POLL_SECONDS):
        super().__init__(name="staffguard-sessions", daemon=True)
        self.base_url, self.token, self.every = base_url.rstrip("/"), token, every
        self.users: dict[str, tuple[str, dt.datetime]] = {}
        self.since: str | None = None
        self.stopping = threading.Event()

    def user_at(self, client: str) -> str | None:
        entry = self.users.get(client.removeprefix("::ffff:"))
        if entry is None or entry[1] <= _now():
            return None
        return entry[0]

    def run(self) -> None:
        while True:
            try:
                self.poll()
            except Exception as error:  # the admin site away or odd: keep what we know
                log.warning("staffguard: client sessions not refreshed (%s)", error)
            if self.stopping.wait(self.every):
                return

    def poll(self) -> None:
        query = f"?{urllib.parse.urlencode({'since': self.since})}" if self.since else ""
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/sessions{query}",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read(16 * 1024 * 1024))
        self.apply(answer)

    def apply(self, answer: dict[str, Any]) -> None:
        users = dict(self.users)
        for item in answer["sessions"]:
            expires = _time(item["expires"])
            if expires > _now():
                users[str(item["client"])] = (str(item["user"]), expires)
            else:
                users.pop(str(item["client"]), None)
        now = _now()
        users = {client: entry for client, entry in users.items() if entry[1] > now}
        _log_change(self.users, users)
        self.users = users
        self.since = str(answer["now"])

    def stop(self) -> None:
        self.stopping.set()


def _log_change(before: dict[str, tuple[str, Any]], after: dict[str, tuple[str, Any]]) -> None:
    """One line when the table changes, none on a quiet poll: an operator sees a lab's logons
    reach the proxy (or not) without a line every few seconds. A client whose user changed
    counts as one ended and one begun."""
    begun = sum(1 for client, entry in after.items() if before.get(client, ("",))[0] != entry[0])
    ended = sum(1 for client, entry in before.items() if after.get(client, ("",))[0] != entry[0])
    if begun or ended:
        log.info("staffguard: sessions: %d active (+%d, -%d)", len(after), begun, ended)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


_current: ClientSessions | None = None


def start(base_url: str | None, token: str) -> None:
    """Poll the admin site at ``base_url`` (none: no sessions, as with list files)."""
    global _current
    stop()
    if base_url and token:
        _current = ClientSessions(base_url, token)
        _current.start()


def stop() -> None:
    global _current
    if _current is not None:
        _current.stop()
        _current = None


def user_at(client: str) -> str | None:
    """The user a logon script named for ``client``, while their session lasts."""
    return _current.user_at(client) if _current is not None else None
