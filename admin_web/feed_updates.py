"""Fetching category feeds: on the Feeds page, on a schedule in the site, and from
``staffguard feeds update``.

What survives a bad fetch: everything. A fetch asks conditionally (ETag, Last-Modified), reads
at most ``FEED_MAX_BYTES`` within ``FEED_TIMEOUT`` seconds and parses the whole copy before it
touches the stored one. Only then is the new copy swapped in, in the same transaction as the
policy version compiled from it; a failure, a refusal (too large, too slow, not the format) or
a 304 leaves the last good copy in force and records what happened on the feed.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from policy_lists.feeds import MAX_BYTES, MAX_DOMAINS, FeedError, parse, shipped_definitions
from staffguard_common.http import build_request

from .layer import PolicyError
from .models import Feed, utcnow
from .versions import commit_change

TIMEOUT = 60.0
SCHEDULE_TICK = 600.0  # seconds between looks for feeds that are due
log = logging.getLogger("staffguard.feeds")


@dataclass(frozen=True)
class Download:
    status: int  # 200, or 304 (unchanged)
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


def download(feed: Feed, max_bytes: int, timeout: float) -> Download:
    """GET the feed's URL, conditionally; FeedError when it fails, is too large or too slow."""
    headers = {"User-Agent": "StaffGuard feeds"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    request = build_request(feed.url, headers=headers)  # streamed below: the size limit holds
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FeedError(f"the server offers {int(length):,} bytes, more than {max_bytes:,}")
            chunks, size = [], 0
            while chunk := response.read1(65536):  # returns what arrived: the deadline holds
                size += len(chunk)
                if size > max_bytes:
                    raise FeedError(f"larger than the limit of {max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise FeedError(f"took longer than {timeout:g} s")
                chunks.append(chunk)
            return Download(
                200,
                b"".join(chunks),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
            )
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Download(304)
        raise FeedError(f"HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise FeedError(f"cannot fetch: {getattr(error, 'reason', error)}") from None


def limits() -> tuple[int, float, int]:
    config = current_app.config if has_app_context() else {}
    return (
        int(config.get("FEED_MAX_BYTES", MAX_BYTES)),
        float(config.get("FEED_TIMEOUT", TIMEOUT)),
        int(config.get("FEED_MAX_DOMAINS", MAX_DOMAINS)),
    )


def settings_of(feed: Feed) -> dict[str, Any]:
    """What the audit records of a feed: its settings, never its domains."""
    keys = ("name", "url", "format", "member", "category", "schedule_hours", "enabled")
    return {key: getattr(feed, key) for key in keys}


def update(db: Session, feed: Feed, actor: str) -> str:
    """Fetch one feed now and swap in a good new copy; a sentence saying what happened."""
    max_bytes, timeout, max_domains = limits()
    feed.checked_at = utcnow()
    try:
        if not feed.url:
            raise FeedError("an uploaded feed has nothing to fetch; upload a new file instead")
        got = download(feed, max_bytes, timeout)
        if got.status == 304:
            feed.status, feed.message = "unchanged", "not modified since the last fetch"
            db.commit()
            return f"{feed.name}: unchanged ({feed.domain_count:,} domains)"
        parsed = parse(got.body, feed.format, feed.member, max_domains)
        if not parsed.domains:
            raise FeedError("no domains in the copy fetched; keeping the last good copy")
    except FeedError as error:
        feed.status, feed.message = "failed", str(error)
        db.commit()
        log.warning("feed %s: %s (the last good copy stays in force)", feed.name, error)
        return f"{feed.name}: failed: {error} (last good copy kept)"
    feed.etag, feed.last_modified = got.etag, got.last_modified
    return store(db, feed, parsed, actor, "feed fetched")


def store(db: Session, feed: Feed, parsed: Any, actor: str, kind: str) -> str:
    """Swap in a parsed copy and, when the domains changed, compile and commit a new version."""
    before = {**settings_of(feed), "domain_count": feed.domain_count}
    domains = "\n".join(parsed.domains)
    changed = domains != feed.domains
    feed.domains, feed.domain_count = domains, len(parsed.domains)
    feed.ignored, feed.invalid = parsed.ignored, parsed.invalid
    feed.status, feed.fetched_at = "ok", utcnow()
    feed.message = f"{parsed.ignored:,} rules ignored, {parsed.invalid:,} entries not a site"
    after = {**settings_of(feed), "domain_count": feed.domain_count}
    try:
        if changed and feed.enabled:
            commit_change(db, actor, kind, feed.name, before, after)
        else:
            db.commit()
    except PolicyError as error:
        db.rollback()
        return f"{feed.name}: not saved: {error}"
    return f"{feed.name}: {feed.domain_count:,} domains" + ("" if changed else " (no change)")


def due(db: Session) -> list[Feed]:
    """Enabled feeds with a URL and a schedule whose last look is older than the schedule."""
    now = utcnow()
    feeds = db.scalars(
        select(Feed).where(Feed.enabled.is_(True), Feed.url != "", Feed.schedule_hours > 0)
    )
    return [
        f
        for f in feeds
        if f.checked_at is None or (now - f.checked_at).total_seconds() >= f.schedule_hours * 3600
    ]


def start_schedule(app: Flask) -> None:
    """Fetch due feeds now and every ten minutes while the site runs (like retention)."""
    from .db import get_db

    def loop() -> None:
        while True:
            try:
                with app.app_context():
                    db = get_db()
                    for feed in due(db):
                        log.info(update(db, feed, "schedule"))
            except Exception:  # a fault here must never stop the site: log it, try again later
                log.exception("feed schedule")
            threading.Event().wait(SCHEDULE_TICK)

    threading.Thread(target=loop, name="staffguard-feeds", daemon=True).start()


def add_shipped(db: Session, definition_id: str) -> Feed:
    """A shipped definition as an enabled feed (not yet fetched); KeyError if unknown."""
    definition = shipped_definitions()[definition_id]
    feed = db.scalar(select(Feed).where(Feed.definition == definition_id))
    if feed is None:
        feed = Feed(
            name=definition["name"],
            url=definition["url"],
            format=definition["format"],
            member=definition.get("member", ""),
            category=definition["category"],
            license=definition.get("license", ""),
            definition=definition_id,
            schedule_hours=24,
            status="never",
            message="",
            domains="",
            domain_count=0,
            ignored=0,
            invalid=0,
        )
        db.add(feed)
    feed.enabled = True
    db.flush()
    return feed


def register(sub: argparse._SubParsersAction, groups: dict[str, Any] | None = None) -> None:
    feeds = sub.add_parser("feeds", help="category feeds of the admin site").add_subparsers(
        metavar="ACTION"
    )
    upd = feeds.add_parser("update", help="fetch due feeds (all enabled with --all, or NAMEs)")
    upd.add_argument("names", nargs="*", metavar="NAME")
    upd.add_argument("--all", action="store_true", help="every enabled feed, due or not")
    upd.set_defaults(handler=_update)
    ls = feeds.add_parser("list", help="the feeds, their status and domain counts")
    ls.set_defaults(handler=_list)
    enable = feeds.add_parser("enable", help="enable a shipped feed definition by id")
    enable.add_argument("definition", choices=sorted(shipped_definitions()))
    enable.set_defaults(handler=_enable)


def _update(args: argparse.Namespace) -> int:
    from .cli import _app
    from .db import get_db

    failed = 0
    with _app().app_context():
        db = get_db()
        if args.names:
            feeds = list(db.scalars(select(Feed).where(Feed.name.in_(args.names))))
            missing = set(args.names) - {f.name for f in feeds}
            if missing:
                print(f"staffguard: no feed named {', '.join(sorted(missing))}")
                return 2
        elif args.all:
            feeds = list(db.scalars(select(Feed).where(Feed.enabled.is_(True), Feed.url != "")))
        else:
            feeds = due(db)
        for feed in feeds:
            print(update(db, feed, "command line"))
            failed += feed.status == "failed"
        if not feeds:
            print("no feed is due")
    return 1 if failed else 0


def _list(args: argparse.Namespace) -> int:
    from .cli import _app
    from .db import get_db

    with _app().app_context():
        for feed in get_db().scalars(select(Feed).order_by(Feed.id)):
            state = "enabled" if feed.enabled else "disabled"
            print(
                f"{feed.name}: {state}, {feed.category}, {feed.domain_count:,} domains, "
                f"{feed.status} {feed.checked_at or ''} {feed.message}".rstrip()
            )
    return 0


def _enable(args: argparse.Namespace) -> int:
    from .cli import _app
    from .db import get_db

    with _app().app_context():
        db = get_db()
        feed = add_shipped(db, args.definition)
        db.commit()
        print(f"enabled {feed.name}; fetch it with: staffguard feeds update {feed.name!r}")
    return 0
