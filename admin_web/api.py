"""The JSON API for proxies and devices (docs/design.md) and the PAC file.

Bearer tokens authenticate every ``/api/v1`` call; a signed-in admin's browser session may read
the policy and check URLs too, so the lists editor can preview verdicts.

A proxy's shipper resends a refused batch until it is taken, so nothing a sender may write
makes this API answer 500: text is cleaned of what the database cannot store (NUL, unpaired
surrogates; the answer lists the events that were cleaned), and anything else wrong in an event
is a 400 that names the event.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request, url_for
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from policy_lists.event_schema import EVENT, MAX_BATCH, SENT_FIELDS, max_length, nullable
from policy_lists.schema import normalize_domain

from . import ingest
from .auth import token_from_request
from .db import get_db
from .inputs import clean_text, json_body
from .models import Event, Token, Unclassified
from .openapi import OPENAPI
from .versions import current, current_policy

bp = Blueprint("api", __name__)
MAX_EVENTS = MAX_BATCH
MAX_COUNT = 2**31 - 1
# The event check, read off policy_lists/schemas/event.schema.json in the order it has always
# run: formats (id, ts), then the vocabulary's enums, then texts (cut, cleaned, never refused).
_SENT = {key: EVENT["properties"][key] for key in SENT_FIELDS}
FORMATS = {key: spec["format"] for key, spec in _SENT.items() if "format" in spec}
ENUMS: dict[str, tuple[str, ...]] = {
    key: tuple(spec["enum"]) for key, spec in _SENT.items() if "enum" in spec
}
TEXT_LIMITS = {key: max_length(key) for key, spec in _SENT.items() if "maxLength" in spec}
NULLABLE = frozenset(key for key in TEXT_LIMITS if nullable(key))
NON_EMPTY = tuple(key for key in TEXT_LIMITS if _SENT[key].get("minLength"))


def authorized(*scopes: str, session_may_read: bool = False) -> Token | None:
    """A valid bearer token of one of ``scopes`` (401 without one, 403 outside its scope); for
    reading calls, a signed-in browser session will do too (then None is returned).

    Writing calls never take the session: the API is exempt from CSRF tokens, so a page
    elsewhere must not be able to post events through a reviewer's browser.
    """
    token = token_from_request()
    if token is None and session_may_read and g.get("user") is not None:
        return None
    if token is None:
        abort(
            Response(
                json.dumps({"error": "a valid bearer token is required"}),
                401,
                {"Content-Type": "application/json", "WWW-Authenticate": "Bearer"},
            )
        )
    if token.scope not in scopes:
        get_db().commit()  # its last use still counts
        message = f"a {token.scope} token may not make this call (it needs {' or '.join(scopes)})"
        abort(Response(json.dumps({"error": message}), 403, {"Content-Type": "application/json"}))
    return token


@bp.get("/api/v1/policy")
def policy() -> Any:
    authorized("proxy", "device", session_may_read=True)
    row = current(get_db())
    get_db().commit()  # token last-use time
    # Werkzeug's conditional request: ETag "<version>"; If-None-Match with that tag (quoted,
    # weak or bare, alone or in a list) or "*" answers 304 before the document is built.
    response = Response(status=200, content_type="application/json")
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(row.version)
    response.make_conditional(request)
    if response.status_code == 304:
        return response
    compiled = json.loads(row.compiled)
    settings = compiled["settings"]
    if not settings.get("permission_url"):
        settings["permission_url"] = url_for("permissions.new", _external=True)
    response.set_data(json.dumps(compiled, ensure_ascii=False))
    return response


@bp.get("/api/v1/check")
def check() -> Any:
    authorized("proxy", "device", session_may_read=True)
    url = request.args.get("url", "")
    if not url:
        return jsonify(error="url is required"), 400
    verdict = current_policy(get_db()).classify(
        url,
        method=request.args.get("method", "GET"),
        user=request.args.get("user") or None,
        client_ip=request.args.get("client_ip") or None,
    )
    return verdict.to_dict()


@bp.post("/api/v1/events")
def events() -> Any:
    token = authorized("proxy", "device")
    assert token is not None  # no session may write
    batch = json_body()
    if not isinstance(batch, list):
        return jsonify(error="the body must be a JSON list of events", index=None), 400
    if len(batch) > MAX_EVENTS:
        return jsonify(error=f"at most {MAX_EVENTS} events a batch", index=None), 413
    rows, cleaned = [], []
    for index, raw in enumerate(batch):
        try:
            row, was_cleaned = _event_row(raw)
        except ValueError as error:
            return jsonify(error=str(error)[:500], index=index), 400
        if token.scope == "device" and (row["user"] or "").lower() != (token.user or "").lower():
            return jsonify(
                error="a device token reports its own user's events only", index=index
            ), 400
        row["reporter"] = token.name
        rows.append(row)
        if was_cleaned:
            cleaned.append(index)
    accepted = store_events(get_db(), rows)
    answer: dict[str, Any] = {"accepted": accepted, "duplicates": len(batch) - accepted}
    if cleaned:
        answer["cleaned"] = cleaned  # stored without their NUL / unpaired surrogate characters
    return answer


def store_events(db: Session, rows: list[dict[str, Any]]) -> int:
    """Store checked event rows once each, count them for the dashboard, commit; how many new."""
    return ingest.store_events(db, rows)


def _insert_ignoring_duplicates(db: Session) -> Any:
    """An INSERT that skips ids a concurrent batch stored first and names those it stored."""
    dialect = db.get_bind().dialect.name
    insert: Callable[..., Any] = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Event).on_conflict_do_nothing(index_elements=["id"]).returning(Event.id)


def _event_row(raw: Any) -> tuple[dict[str, Any], bool]:
    """A checked event row, and whether its text had to be cleaned to be stored."""
    if not isinstance(raw, dict):
        raise ValueError("an event must be a JSON object")
    row: dict[str, Any] = {
        key: _FORMAT_READERS[kind](raw.get(key)) for key, kind in FORMATS.items()
    }
    for key, allowed in ENUMS.items():
        if not isinstance(raw.get(key), str) or raw[key] not in allowed:
            given = str(raw.get(key))[:40]
            raise ValueError(f"{key} must be one of {', '.join(allowed)}, not {given!r}")
        row[key] = raw[key]
    was_cleaned = False
    for key, limit in TEXT_LIMITS.items():
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{key} must be text")
        if value:
            value, changed = clean_text(value)
            was_cleaned |= changed
        row[key] = (value[:limit] if value else None) if key in NULLABLE else (value or "")[:limit]
    if not all(row[key] for key in NON_EMPTY):
        raise ValueError(f"{' and '.join(NON_EMPTY)} are required")
    row["url"] = row["url"].split("#", 1)[0].split("?", 1)[0]  # query strings are never stored
    return row, was_cleaned


def _uuid(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)[:100]))
    except ValueError:
        raise ValueError(f"id {str(value)[:100]!r} is not a UUID") from None


def _timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("ts must be an RFC 3339 time")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"ts {value!r} is not an RFC 3339 time") from None
    if parsed.tzinfo is None:
        raise ValueError("ts must carry a time zone (UTC: 'Z')")
    try:
        return parsed.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(f"ts {value!r} is outside the years 1 to 9999 in UTC") from None


_FORMAT_READERS: dict[str, Callable[[Any], Any]] = {"uuid": _uuid, "date-time": _timestamp}


@bp.post("/api/v1/unclassified")
def unclassified() -> Any:
    """Running totals per reporter, day and domain; a resent report replaces, never adds.

    A count whose domain is no host name (nothing an admin could classify) is skipped and
    named in ``skipped``; a malformed count refuses the report with its index.
    """
    authorized("proxy")
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("reporter"), str):
        return jsonify(error="expected {'reporter': str, 'counts': [...]}", index=None), 400
    counts = body.get("counts")
    if not isinstance(counts, list) or len(counts) > 100_000:
        return jsonify(error="counts must be a list of at most 100,000", index=None), 400
    reporter = clean_text(body["reporter"])[0][:200]
    rows: dict[tuple[str, str], int] = {}
    skipped = []
    for index, item in enumerate(counts):
        try:
            day, domain, count = _count(item)
        except ValueError as error:
            return jsonify(error=str(error), index=index), 400
        if domain is None:
            skipped.append(index)
        else:
            rows[day, domain] = count
    db = get_db()
    for (day, domain), count in rows.items():
        row = db.get(Unclassified, (reporter, day, domain))
        if row is None:
            db.add(Unclassified(reporter=reporter, day=day, domain=domain, count=count))
        else:
            row.count = count
    db.commit()
    answer: dict[str, Any] = {"stored": len(counts) - len(skipped)}
    if skipped:
        answer["skipped"] = skipped
    return answer


def _count(item: Any) -> tuple[str, str | None, int]:
    """(day, domain or None when it is no host name, count) of one reported count."""
    if not isinstance(item, dict):
        raise ValueError("each count needs day, domain and count")
    day, domain, count = item.get("day"), item.get("domain"), item.get("count")
    if not isinstance(day, str) or not isinstance(domain, str):
        raise ValueError("each count needs day, domain and count")
    try:
        day = dt.date.fromisoformat(day if len(day) <= 10 else "").isoformat()
    except ValueError:
        raise ValueError(f"day {day[:20]!r} is not a date (YYYY-MM-DD)") from None
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be a whole number from 0 to {MAX_COUNT}")
    name = normalize_domain(domain[:255].lower()) if "\x00" not in domain else None
    return day, name, count


@bp.get("/api/v1/openapi.json")
def openapi() -> Any:
    return OPENAPI
