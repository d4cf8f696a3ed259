"""The JSON API for proxies and devices (DESIGN.md), the PAC file and the health check.

Bearer tokens authenticate every ``/api/v1`` call; a signed-in admin's browser session may read
the policy and check URLs too, so the lists editor can preview verdicts.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from policy_lists.vocabulary import ACTIONS, ACTIVITIES, CATEGORIES, OUTCOMES, SOURCES

from . import ingest
from .auth import token_from_request
from .db import get_db
from .layer import current, current_policy
from .models import Event, Unclassified
from .openapi import OPENAPI

bp = Blueprint("api", __name__)
MAX_EVENTS = 1000
TEXT_LIMITS = {
    "user": 200,
    "client": 64,
    "url": 2048,
    "host": 255,
    "platform_id": 100,
    "justification": 1000,
    "reason": 2000,
    "policy_ref": 200,
}


def _authorized(session_may_read: bool = False) -> None:
    """A valid bearer token; for reading calls, a signed-in browser session will do too.

    Writing calls never take the session: the API is exempt from CSRF tokens, so a page
    elsewhere must not be able to post events through a reviewer's browser.
    """
    if token_from_request() is None and not (session_may_read and g.get("user") is not None):
        abort(
            Response(
                json.dumps({"error": "a valid bearer token is required"}),
                401,
                {"Content-Type": "application/json", "WWW-Authenticate": "Bearer"},
            )
        )


@bp.get("/healthz")
def healthz() -> Any:
    get_db().execute(select(1))
    return {"status": "ok"}


@bp.get("/api/v1/policy")
def policy() -> Any:
    _authorized(session_may_read=True)
    row = current(get_db())
    get_db().commit()  # token last-use time
    etag = f'"{row.version}"'
    if etag in request.headers.get("If-None-Match", "") or row.version in request.headers.get(
        "If-None-Match", ""
    ):
        return Response(status=304, headers={"ETag": etag})
    compiled = json.loads(row.compiled)
    settings = compiled["settings"]
    if not settings.get("permission_url"):
        settings["permission_url"] = url_for("permissions.new", _external=True)
    return Response(
        json.dumps(compiled, ensure_ascii=False),
        200,
        {"Content-Type": "application/json", "ETag": etag, "Cache-Control": "no-cache"},
    )


@bp.get("/api/v1/check")
def check() -> Any:
    _authorized(session_may_read=True)
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
    _authorized()
    batch = request.get_json(silent=True)
    if not isinstance(batch, list):
        return jsonify(error="the body must be a JSON list of events", index=None), 400
    if len(batch) > MAX_EVENTS:
        return jsonify(error=f"at most {MAX_EVENTS} events a batch", index=None), 413
    rows = []
    for index, raw in enumerate(batch):
        try:
            rows.append(_event_row(raw))
        except ValueError as error:
            return jsonify(error=str(error), index=index), 400
    accepted = store_events(get_db(), rows)
    return {"accepted": accepted, "duplicates": len(batch) - accepted}


def store_events(db: Session, rows: list[dict[str, Any]]) -> int:
    """Store checked event rows once each, count them for the dashboard, commit; how many new."""
    return ingest.store_events(db, rows)


def _insert_ignoring_duplicates(db: Session) -> Any:
    """An INSERT that skips ids a concurrent batch stored first and names those it stored."""
    dialect = db.get_bind().dialect.name
    insert: Callable[..., Any] = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Event).on_conflict_do_nothing(index_elements=["id"]).returning(Event.id)


def _event_row(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError("an event must be a JSON object")
    try:
        event_id = str(uuid.UUID(str(raw.get("id"))))
    except ValueError:
        raise ValueError(f"id {raw.get('id')!r} is not a UUID") from None
    ts = _timestamp(raw.get("ts"))
    for key, allowed in (
        ("source", SOURCES),
        ("category", CATEGORIES),
        ("activity", ACTIVITIES),
        ("action", ACTIONS),
        ("outcome", OUTCOMES),
    ):
        if raw.get(key) not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(allowed)}, not {raw.get(key)!r}")
    row: dict[str, Any] = {"id": event_id, "ts": ts}
    row.update({key: raw[key] for key in ("source", "category", "activity", "action", "outcome")})
    for key, limit in TEXT_LIMITS.items():
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{key} must be text")
        row[key] = (
            (value or "")[:limit]
            if key not in ("user", "client", "platform_id")
            else (value[:limit] if value else None)
        )
    if not row["url"] or not row["host"]:
        raise ValueError("url and host are required")
    row["url"] = row["url"].split("#", 1)[0].split("?", 1)[0]  # query strings are never stored
    return row


def _timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("ts must be an RFC 3339 time")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"ts {value!r} is not an RFC 3339 time") from None
    if parsed.tzinfo is None:
        raise ValueError("ts must carry a time zone (UTC: 'Z')")
    return parsed.astimezone(dt.UTC).replace(tzinfo=None)


@bp.post("/api/v1/unclassified")
def unclassified() -> Any:
    """Running totals per reporter, day and domain; a resent report replaces, never adds."""
    _authorized()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("reporter"), str):
        return jsonify(error="expected {'reporter': str, 'counts': [...]}"), 400
    counts = body.get("counts")
    if not isinstance(counts, list):
        return jsonify(error="counts must be a list"), 400
    db = get_db()
    reporter = body["reporter"][:200]
    for index, item in enumerate(counts):
        try:
            day = dt.date.fromisoformat(str(item["day"])).isoformat()
            domain, count = str(item["domain"]).lower()[:255], int(item["count"])
        except (KeyError, TypeError, ValueError):
            db.rollback()
            return jsonify(error="each count needs day, domain and count", index=index), 400
        row = db.get(Unclassified, (reporter, day, domain))
        if row is None:
            db.add(Unclassified(reporter=reporter, day=day, domain=domain, count=count))
        else:
            row.count = count
        db.flush()
    db.commit()
    return {"stored": len(counts)}


@bp.get("/api/v1/openapi.json")
def openapi() -> Any:
    return OPENAPI


@bp.get("/proxy.pac")
def proxy_pac() -> Any:
    """Send only hosts that need a decision through the proxy; everything else goes DIRECT."""
    policy = current_policy(get_db())
    # staffguard.invalid: the extension asks the proxy whether it is there (no double warning)
    domains = sorted(
        {
            domain
            for raw in policy.compiled["platforms"]
            if policy.platforms[raw["id"]].needs_decision
            for domain in raw["domains"]
        }
        | {"staffguard.invalid"}
    )
    proxy = request.args.get("proxy") or current_app.config["PROXY_ADDRESS"]
    proxy = "".join(c for c in proxy if c.isalnum() or c in ".:-[]")
    body = (
        "// StaffGuard: only hosts that need a policy decision go through the proxy.\n"
        f"// policy version {policy.version}\n"
        f"var domains = {json.dumps(domains)};\n"
        "function FindProxyForURL(url, host) {\n"
        "  host = host.toLowerCase();\n"
        "  for (var i = 0; i < domains.length; i++) {\n"
        "    var d = domains[i];\n"
        "    if (host === d || dnsDomainIs(host, '.' + d)) {\n"
        f"      return 'PROXY {proxy}; DIRECT';\n"
        "    }\n"
        "  }\n"
        "  return 'DIRECT';\n"
        "}\n"
    )
    return Response(body, 200, {"Content-Type": "application/x-ns-proxy-autoconfig"})
