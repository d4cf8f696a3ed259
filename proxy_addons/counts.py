"""Per-day counts of the registrable domains no list knows: what staff use that nobody classified.

Counts, never URLs: allowed browsing is not logged one by one. The totals are kept in the data
directory (so a restart does not lower them) and reported to the admin site with replace
semantics: each report carries the reporter's running total for a day and domain, so a report
that is sent twice changes nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from pathlib import Path

from policy_lists import registrable_domain
from staffguard_common.files import write_atomic
from staffguard_common.http import call

log = logging.getLogger(__name__)
KEEP_DAYS = 2


class UnclassifiedCounts:
    def __init__(self, directory: Path, reporter: str):
        self.path = directory / "unclassified.json"
        self.reporter = reporter
        self._lock = threading.Lock()
        self.days: dict[str, Counter[str]] = self._read()

    def _read(self) -> dict[str, Counter[str]]:
        """The saved totals; a file that is missing, torn or edited into another shape counts as
        none (with a warning), never as an error at every request that counts."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("staffguard: %s unreadable (%s); counting from zero", self.path, error)
            return {}
        if not isinstance(raw, dict) or not all(
            isinstance(counts, dict)
            and all(isinstance(n, int) and not isinstance(n, bool) for n in counts.values())
            for counts in raw.values()
        ):
            log.warning("staffguard: %s is not a table of counts; counting from zero", self.path)
            return {}
        return {str(day): Counter(counts) for day, counts in raw.items()}

    def record(self, host: str) -> None:
        domain = registrable_domain(host)
        if domain is None:
            return
        day = time.strftime("%Y-%m-%d", time.gmtime())
        with self._lock:
            self.days.setdefault(day, Counter())[domain] += 1

    def save(self) -> None:
        with self._lock:
            for day in sorted(self.days)[:-KEEP_DAYS]:
                del self.days[day]
            text = json.dumps(self.days)
        write_atomic(self.path, text)

    def report(self, base_url: str, token: str) -> bool:
        """Send the running totals to ``POST {base}/api/v1/unclassified``; True when accepted."""
        with self._lock:
            counts = [
                {"day": day, "domain": domain, "count": n}
                for day, counter in self.days.items()
                for domain, n in counter.items()
            ]
        if not counts:
            return True
        try:
            reply = call(
                base_url.rstrip("/") + "/api/v1/unclassified",
                token=token,
                json_body={"reporter": self.reporter, "counts": counts},
            )
        except OSError as error:
            log.warning("staffguard: unclassified counts not reported (%s)", error)
            return False
        if reply.status != 200:
            log.warning("staffguard: unclassified counts not reported (HTTP %s)", reply.status)
        return reply.status == 200
