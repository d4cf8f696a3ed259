"""Where the proxy's policy comes from, and how it stays fresh.

Either list files (layered on the shipped defaults, re-read when one changes) or one admin
site, polled with ``If-None-Match``. Whatever the origin, the last good compiled policy is kept
in the data directory, so a proxy starts when the admin site is down, and a bad new policy
keeps the old one in force (and says so in the log).
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from policy_lists import DEFAULTS, Policy, PolicyError, compile_sources
from policy_lists.hashed import first_line
from policy_lists.memory import give_back
from staffguard_common.files import write_atomic_json
from staffguard_common.http import call

log = logging.getLogger(__name__)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def shed_listed_text(policy: Policy) -> None:
    """Drop a ``domains_file``'s names from the policy's document once they are indexed and the
    document is saved: the proxy then reads only the first of them (a platform's home domain,
    ``continues.py``), and the text is most of a big list's memory (138 MB of ~500 MB for five
    million names). The document stays a valid compiled policy apart from that text.

    For a policy the proxy checked itself (list files, the copy on disk) the engine drops the
    text while indexing instead (``Policy(..., keep_listed_text=False)``), which also lowers
    the peak; this is for a document from the admin site, saved only once it is indexed.
    """
    shed = False
    for raw in policy.compiled["platforms"]:
        text = raw.get("domains_text")
        if text and "\n" in text:
            raw["domains_text"] = first_line(text)
            shed = True
    if shed:
        give_back()


class PolicySource:
    """Holds the current Policy; ``refresh()`` replaces it when its origin has changed."""

    def __init__(self, sources: Sequence[str], data_dir: Path, token: str = ""):
        urls = [s for s in sources if is_url(s)]
        if urls and len(sources) > 1:
            # The caller names the option (addon.configure adds "staffguard_policy: ").
            raise ValueError("give one admin-site URL or list files, not both")
        self.url = urls[0].rstrip("/") if urls else None
        self.files = [str(DEFAULTS), *sources] if not self.url else []
        self.token = token
        self.cache = data_dir / "policy.json"
        self.etag = ""
        self._stamp: tuple[tuple[str, float], ...] = ()
        self.policy: Policy = self._initial()
        gc.freeze()  # see refresh()

    def _initial(self) -> Policy:
        if not self.url:
            self._stamp = self._file_stamp()
            try:
                compiled = compile_sources(*self.files)
            except PolicyError as error:
                # A proxy that does not start breaks everyone's browsing: run on the last good
                # policy when there is one, and refuse to start (a clear error) when there is not.
                cached = self._load_cache()
                if cached is None:
                    raise
                # Warning, not error: mitmdump exits on any error logged while it starts.
                log.warning(
                    "staffguard: policy files refused, running on the last good policy "
                    "(version %s) until they are fixed:\n%s",
                    cached.version,
                    error,
                )
                return cached
            # Saved before it is indexed, so that each list's text can go as it is indexed
            # (the peak of a big list's start); compile_sources has checked it already.
            self._save(compiled)
            return Policy(compiled, keep_listed_text=False)
        if self.refresh():
            return self.policy
        cached = self._load_cache()
        if cached is not None:
            log.warning("staffguard: admin site unreachable; using the last good policy on disk")
            return cached
        log.warning("staffguard: admin site unreachable and no policy on disk; shipped defaults")
        return Policy(compile_sources())

    def refresh(self) -> bool:
        """Fetch or re-read the policy if it changed; True when a new policy is in force."""
        try:
            compiled = self._fetch() if self.url else self._reread()
            if compiled is None:
                return False
            if self.url:  # unchecked until indexed: saved only once the engine takes it
                policy = Policy(compiled)
            else:  # checked by compile_sources: saved first, its text dropped as it is indexed
                self._save(compiled)
                policy = Policy(compiled, keep_listed_text=False)
        except (PolicyError, ValueError, KeyError, TypeError, AttributeError) as error:
            log.error("staffguard: new policy refused, keeping version %s:\n%s", self._v(), error)
            return False
        self.policy = policy
        # A big list is millions of objects that live until the next policy: out of the cyclic
        # garbage collector's walks (0.4-0.7 s per full collection with 1M domains, a pause for
        # every client). Refcounting still frees the old policy.
        gc.freeze()
        if self.url:
            self._save(compiled)
            shed_listed_text(policy)
        log.info("staffguard: policy version %s in force", policy.version)
        return True

    def _v(self) -> str:
        return getattr(getattr(self, "policy", None), "version", "none")

    def _file_stamp(self) -> tuple[tuple[str, float], ...]:
        stamps = []
        for source in self.files:
            path = Path(source)
            # Only the YAML files the loader reads: the spool and policy.json in a data
            # directory kept inside a list directory must not trigger a recompile (a loop).
            if path.is_dir():
                paths = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            else:
                paths = [path]
            for p in paths:
                try:
                    stamps.append((str(p), p.stat().st_mtime))
                except OSError:
                    stamps.append((str(p), -1.0))
        return tuple(stamps)

    def _reread(self) -> dict[str, Any] | None:
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        return compile_sources(*self.files)

    def _fetch(self) -> dict[str, Any] | None:
        headers = {"Accept": "application/json"}
        if self.etag:
            headers["If-None-Match"] = self.etag
        try:
            reply = call(f"{self.url}/api/v1/policy", token=self.token, headers=headers)
        except OSError as error:
            log.warning("staffguard: admin site unreachable (%s)", error)
            return None
        if reply.status >= 300:
            if reply.status != 304:
                log.warning("staffguard: admin site answered %s for the policy", reply.status)
            return None
        self.etag = reply.header("ETag")
        # refresh() builds the Policy, which refuses a document the engine cannot use before it
        # replaces anything (building it here too cost a second index of every listed name)
        return reply.json()

    def _save(self, compiled: Mapping[str, Any]) -> None:
        try:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            write_atomic_json(self.cache, compiled)
        except OSError as error:
            log.warning("staffguard: cannot keep the policy on disk: %s", error)

    def _load_cache(self) -> Policy | None:
        """The last good policy, or None: a cache the engine cannot use is no cache."""
        try:
            # the copy on disk keeps the names: the one in memory needs only the index
            compiled = json.loads(self.cache.read_text(encoding="utf-8"))
            return Policy(compiled, keep_listed_text=False)
        except FileNotFoundError:
            return None
        except Exception as error:
            log.warning("staffguard: last good policy %s unusable (%r)", self.cache, error)
            return None
