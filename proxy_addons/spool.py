"""The proxy's event log: an append-only file on disk, shipped to the admin site in batches.

``events.jsonl`` holds one event a line, in the order they happened; ``events.offset`` holds
how many bytes of it the admin site has accepted. An event is on disk before anything else
happens to it, and the offset moves only after the admin site answered, so killing the proxy,
the admin site or both loses nothing; a batch re-sent after a crash is harmless because the
admin site stores each event id once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from policy_lists import Verdict

log = logging.getLogger(__name__)

BATCH = 500
ROTATE_BYTES = 8 * 1024 * 1024


class Spool:
    """Append events; read unshipped batches; commit what the admin site accepted."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "events.jsonl"
        self.offset_path = directory / "events.offset"
        self.rejected_path = directory / "rejected.jsonl"
        self._lock = threading.Lock()
        self._file = self.path.open("ab")
        if self._file.tell() and not self._ends_with_newline():
            self._file.write(b"\n")  # a line cut short by a crash stays on its own line
            self._file.flush()

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def append(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def offset(self) -> int:
        try:
            return int(self.offset_path.read_text() or 0)
        except (OSError, ValueError):
            return 0

    def pending(self, limit: int = BATCH) -> tuple[list[dict[str, Any]], int]:
        """Up to ``limit`` unshipped events and the offset just after them."""
        start = self.offset()
        events: list[dict[str, Any]] = []
        with self.path.open("rb") as f:
            f.seek(start)
            end = start
            for line in f:
                if not line.endswith(b"\n"):
                    break  # still being written
                end += len(line)
                if line.strip():
                    try:
                        events.append(json.loads(line))
                    except ValueError:
                        log.error("staffguard: unreadable spool line at byte %d skipped", end)
                if len(events) >= limit:
                    break
        return events, end

    def commit(self, end: int) -> None:
        tmp = self.offset_path.with_suffix(".tmp")
        tmp.write_text(str(end))
        os.replace(tmp, self.offset_path)
        self._rotate_if_done(end)

    def reject(self, event: dict[str, Any], error: str) -> None:
        with self.rejected_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"error": error, "event": event}, ensure_ascii=False) + "\n")

    def _rotate_if_done(self, end: int) -> None:
        """Start a fresh file once everything in a large one is shipped."""
        with self._lock:
            if end < ROTATE_BYTES or end != self._file.tell():
                return
            # Offset first: a crash between the two steps re-sends a shipped file (harmless),
            # never skips a new one.
            tmp = self.offset_path.with_suffix(".tmp")
            tmp.write_text("0")
            os.replace(tmp, self.offset_path)
            self._file.close()
            os.replace(self.path, self.path.with_name("events.shipped.jsonl"))
            self._file = self.path.open("ab")

    def close(self) -> None:
        with self._lock:
            self._file.close()


class Shipper(threading.Thread):
    """Sends spooled events to ``POST {base}/api/v1/events`` with retry and backoff."""

    def __init__(self, spool: Spool, base_url: str, token: str, interval: float = 2.0):
        super().__init__(name="staffguard-shipper", daemon=True)
        self.spool = spool
        self.url = base_url.rstrip("/") + "/api/v1/events"
        self.token = token
        self.interval = interval
        self.stopping = threading.Event()
        self.wake = threading.Event()

    def run(self) -> None:
        delay = self.interval
        while not self.stopping.is_set():
            try:
                shipped = self.ship_once()
                delay = self.interval if shipped is not None else min(delay * 2, 60.0)
                if shipped:
                    continue  # more may be waiting
            except Exception:
                log.exception("staffguard: shipping events failed")
                delay = min(delay * 2, 60.0)
            self.wake.wait(delay)
            self.wake.clear()

    def ship_once(self) -> int | None:
        """Ship one batch: the number accepted, 0 when idle, None when the admin site failed."""
        events, end = self.spool.pending()
        if not events:
            if end > self.spool.offset():
                self.spool.commit(end)  # only unreadable lines: step over them
            return 0
        while events:
            status, body = self._post(events)
            if status == 200:
                self.spool.commit(end)
                return len(events)
            if status == 400 and isinstance(body.get("index"), int):
                bad = events.pop(body["index"])
                log.error("staffguard: admin site refused event %s: %s", bad.get("id"), body)
                self.spool.reject(bad, str(body.get("error")))
                continue
            log.warning("staffguard: admin site answered %s; will retry", status)
            return None
        self.spool.commit(end)
        return 0

    def _post(self, events: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(events).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read())
        except (OSError, ValueError) as error:
            log.warning("staffguard: admin site unreachable (%s); events stay spooled", error)
            return 0, {}

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def new_event(
    verdict: Verdict, outcome: str, user: str | None, client: str, justification: str = ""
) -> dict[str, Any]:
    """An event as DESIGN.md defines it; the verdict's URL already has no query string."""
    return {
        "id": str(uuid.uuid4()),
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "source": "proxy",
        "user": user,
        "client": client,
        "url": verdict.url,
        "host": verdict.host,
        "platform_id": verdict.platform_id,
        "category": verdict.category,
        "activity": verdict.activity,
        "action": verdict.action,
        "outcome": outcome,
        "justification": justification,
        "reason": verdict.reason,
        "policy_ref": verdict.policy_ref,
    }
