"""The proxy's event log: an append-only file on disk, shipped to the admin site in batches.

``events.jsonl`` holds one event a line, in the order they happened; ``events.offset`` holds
how many bytes of it the admin site has accepted, and a fingerprint of the last line accepted.
An event is on disk before anything else happens to it, and the offset moves only after the
admin site answered, so killing the proxy, the admin site or both loses nothing; a batch re-sent
after a crash is harmless because the admin site stores each event id once.

What the disk or an operator does to the file is survived, not trusted: a line that cannot be
read (torn by a full disk, edited by hand) is copied to ``quarantine.jsonl`` and stepped over,
so it never holds back later events; a file truncated or replaced under its offset (logrotate's
``copytruncate``) is noticed by the fingerprint and shipped again from its start.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from policy_lists import Verdict
from policy_lists.event_schema import EVENT, SENT_FIELDS, max_length
from staffguard_common.files import write_atomic
from staffguard_common.http import call

log = logging.getLogger(__name__)

BATCH = 500
ROTATE_BYTES = 8 * 1024 * 1024
_MARK_WINDOW = 64 * 1024  # the longest line the fingerprint looks back over


class Spool:
    """Append events; read unshipped batches; commit what the admin site accepted.

    The file is opened when first needed and again after a failed write, so a disk that was
    full or read-only at some point is used again as soon as it takes writes."""

    def __init__(self, directory: Path):
        self.path = directory / "events.jsonl"
        self.offset_path = directory / "events.offset"
        self.rejected_path = directory / "rejected.jsonl"
        self.quarantine_path = directory / "quarantine.jsonl"
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._reopen()

    def _reopen(self) -> None:
        """Open the file now if the disk lets us (so it exists from the start); else later."""
        try:
            self._file = self._open()
        except OSError as error:
            log.warning("staffguard: event spool %s not writable now (%s)", self.path, error)

    def _open(self) -> BinaryIO:
        f = self.path.open("ab", buffering=0)
        try:
            if f.tell() and not self._ends_with_newline():
                f.write(b"\n")  # a line cut short by a crash or a full disk stays on its own line
        except OSError:
            f.close()
            raise
        return f

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def append(self, event: dict[str, Any]) -> None:
        self.write(encode(event))

    def write(self, line: bytes) -> None:
        """Append one encoded event line; raises OSError when the disk refuses it."""
        with self._lock:
            try:
                if self._file is None:
                    self._file = self._open()
                view = memoryview(line)
                while view:
                    written = self._file.write(view)
                    if not written:
                        raise OSError(errno.EIO, "the disk took no bytes")
                    view = view[written:]
            except OSError:
                self._close()
                raise

    def _close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def offset(self) -> int:
        return self._stored_offset()[0]

    def _stored_offset(self) -> tuple[int, str]:
        try:
            number, _, mark = self.offset_path.read_text().strip().partition(" ")
            return (int(number) if re.fullmatch(r"[0-9]{1,15}", number) else 0), mark
        except (OSError, ValueError):
            return 0, ""

    def _mark(self, end: int) -> str:
        """A fingerprint of the line that ends at byte ``end`` (each holds a unique event id)."""
        if end <= 0:
            return ""
        with self.path.open("rb") as f:
            start = max(0, end - _MARK_WINDOW)
            f.seek(start)
            tail = f.read(end - start)
        if not tail.endswith(b"\n"):
            return "none"
        line = tail[:-1].rpartition(b"\n")[2]
        return hashlib.sha256(line).hexdigest()[:16]

    def start(self) -> int:
        """Where unshipped events begin: the stored offset, or 0 when the file is no longer the
        one that offset was for (shorter than it, or another line where it points)."""
        offset, mark = self._stored_offset()
        if offset == 0:
            return 0
        try:
            size = self.path.stat().st_size
            same = offset <= size and (not mark or self._mark(offset) == mark)
        except OSError:
            return 0
        if not same:
            log.warning(
                "staffguard: %s was truncated or replaced under its offset (%d bytes, now %d);"
                " shipping it again from the start",
                self.path,
                offset,
                size,
            )
            with contextlib.suppress(OSError):  # read-only: found again next time
                self._store(0)
            return 0
        return offset

    def pending(self, limit: int = BATCH) -> tuple[list[dict[str, Any]], int]:
        """Up to ``limit`` unshipped events and the offset just after them. Only the bytes the
        file held when reading began are read: a line still being written waits its turn."""
        start = self.start()
        events: list[dict[str, Any]] = []
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            return [], 0
        with f:
            size = os.fstat(f.fileno()).st_size
            f.seek(start)
            end = start
            while end < size and len(events) < limit:
                line = f.readline(size - end)
                if not line.endswith(b"\n"):
                    break  # still being written
                end += len(line)
                if line.strip():
                    event = _decode(line)
                    if event is None:
                        self._quarantine(line, end)
                    else:
                        events.append(event)
        return events, end

    def backlog(self) -> int:
        """How many lines are written but not yet accepted by the admin site."""
        try:
            with self.path.open("rb") as f:
                at, size = self.start(), os.fstat(f.fileno()).st_size
                f.seek(at)
                count = 0
                while at < size:
                    chunk = f.read(min(1 << 20, size - at))
                    if not chunk:
                        break
                    count, at = count + chunk.count(b"\n"), at + len(chunk)
                return count
        except OSError:
            return 0

    def _quarantine(self, line: bytes, end: int) -> None:
        log.warning(
            "staffguard: unreadable spool line ending at byte %d stepped over, kept in %s",
            end,
            self.quarantine_path,
        )
        try:
            with self.quarantine_path.open("ab") as f:
                f.write(line)
        except OSError as error:
            log.warning("staffguard: cannot keep the unreadable line (%s)", error)

    def commit(self, end: int) -> None:
        self._store(end)
        self._rotate_if_done(end)

    def _store(self, end: int) -> None:
        write_atomic(self.offset_path, f"{end} {self._mark(end)}")

    def reject(self, event: dict[str, Any], error: str) -> None:
        try:
            with self.rejected_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"error": error, "event": event}) + "\n")
        except OSError as failure:
            log.warning("staffguard: cannot keep the refused event aside (%s)", failure)

    def _rotate_if_done(self, end: int) -> None:
        """Start a fresh file once everything in a large one is shipped."""
        with self._lock:
            if end < ROTATE_BYTES or end != self.path.stat().st_size:
                return
            # Offset first: a crash between the two steps re-sends a shipped file (harmless),
            # never skips a new one.
            self._store(0)
            self._close()
            os.replace(self.path, self.path.with_name("events.shipped.jsonl"))
            self._reopen()

    def close(self) -> None:
        with self._lock:
            self._close()


def encode(event: dict[str, Any]) -> bytes:
    """One spool line; raises ValueError or TypeError for an event that cannot be a line."""
    return _ENCODER.encode(event).encode() + b"\n"


# One encoder for every line: ``json.dumps`` with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _decode(line: bytes) -> dict[str, Any] | None:
    """An event from a spool line, or None for a line that cannot be one (torn, edited)."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        return None
    return {k: clean(v, 4096) if isinstance(v, str) else v for k, v in event.items()}


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
            index = body.get("index")
            if status == 400 and isinstance(index, int) and 0 <= index < len(events):
                bad = events.pop(index)
                log.error("staffguard: admin site refused event %s: %s", bad.get("id"), body)
                self.spool.reject(bad, str(body.get("error")))
                continue
            log.warning("staffguard: admin site answered %s; will retry", status)
            return None
        self.spool.commit(end)
        return 0

    def _post(self, events: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        try:
            reply = call(self.url, token=self.token, json_body=events)
        except (OSError, ValueError) as error:
            log.warning("staffguard: admin site unreachable (%s); events stay spooled", error)
            return 0, {}
        return reply.status, _json(reply.body)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# Control characters (NUL among them), lone surrogates and bidi overrides: what breaks a
# database column or disguises a log line. Tabs and line breaks become spaces.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
JUSTIFICATION = 500  # the choices page's maxlength, below the event's own limit


def clean(text: str, limit: int) -> str:
    """Text fit for an event field: no control characters or lone surrogates, at most
    ``limit`` characters."""
    if len(text) <= limit and text.isprintable():  # printable text holds none of _UNSAFE
        return text
    return _UNSAFE.sub("", text.replace("\t", " ").replace("\r", " ").replace("\n", " "))[:limit]


def new_event(
    verdict: Verdict, outcome: str, user: str | None, client: str, justification: str = ""
) -> dict[str, Any]:
    """An event as policy_lists/schemas/event.schema.json defines it; the verdict's URL already
    has no query string. Every text is cleaned and cut to the schema's length here, once, so no
    event can hold what the admin site cannot store."""
    given = {
        "id": str(uuid.uuid4()),
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "source": "proxy",
        "user": user,
        "client": client,
        "outcome": outcome,
        "justification": clean(justification, JUSTIFICATION),
    }
    event = {key: given[key] if key in given else getattr(verdict, key) for key in SENT_FIELDS}
    return {k: clean(v, _LIMITS[k]) if v and k in _LIMITS else v for k, v in event.items()}


_LIMITS = {k: max_length(k) for k in SENT_FIELDS if "maxLength" in EVENT["properties"][k]}
