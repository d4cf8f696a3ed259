"""The API calls that say who is who: integrations reading events (``read`` tokens) and the
address-to-user sessions of shared labs (``session`` tokens from logon scripts, ``proxy``
tokens that name the user of a client address).

A session's user is only as true as the logon script that sent it: whoever holds a
``session`` token may name anyone at any address (docs/security.md, "Tokens and sessions").
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy import and_, or_, select

from .api import authorized
from .db import get_db
from .inputs import clean_text, json_body
from .models import ClientSession, Event, utcnow
from .openapi import OPENAPI

bp = Blueprint("identity_api", __name__)
PAGE = 500
MAX_MINUTES = 24 * 60
SESSIONS_PAGE = 10_000
_HIDDEN = {"received_at"}


@bp.get("/api/v1/events")
def read_events() -> Any:
    """Events from ``since`` (their time, RFC 3339) in (ts, id) order, ``limit`` at a time
    (at most 500); ``after`` is the ``next`` cursor of the previous page."""
    authorized("read")
    try:
        since = _timestamp(request.args.get("since", ""))
        limit = min(max(int(request.args.get("limit", PAGE)), 1), PAGE)
    except ValueError as error:
        return jsonify(error=str(error)), 400
    query = select(Event).where(Event.ts >= since)
    after = request.args.get("after", "")
    if after:
        stamp, _, last_id = after.partition("_")
        try:
            after_ts = dt.datetime.fromisoformat(stamp)
        except ValueError:
            return jsonify(error="after must be the next cursor of a previous page"), 400
        query = query.where(
            or_(Event.ts > after_ts, and_(Event.ts == after_ts, Event.id > last_id[:36]))
        )
    rows = get_db().scalars(query.order_by(Event.ts, Event.id).limit(limit)).all()
    get_db().commit()  # the token's last use
    events = [_public(row) for row in rows]
    cursor = f"{rows[-1].ts.isoformat()}_{rows[-1].id}" if len(rows) == limit else None
    return {"events": events, "next": cursor}


def _public(row: Event) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in Event.__table__.columns:
        if column.key in _HIDDEN:
            continue
        value = getattr(row, column.key)
        out[column.key] = value.isoformat() + "Z" if isinstance(value, dt.datetime) else value
    return out


@bp.post("/api/v1/sessions")
def start_session() -> Any:
    """``{"client": ip, "user": email, "minutes": N}``: ``user`` uses ``client`` for N minutes
    (at most a day; a logon script sends it again to extend)."""
    token = authorized("proxy", "session")
    assert token is not None
    body = json_body()
    try:
        client = _client(body.get("client") if isinstance(body, dict) else None)
        user, minutes = body.get("user"), body.get("minutes", 8 * 60)
        if not isinstance(user, str) or not 0 < len(user.strip()) <= 200:
            raise ValueError("user must be 1 to 200 characters (the staff member's email)")
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise ValueError("minutes must be a whole number")
        if not 1 <= minutes <= MAX_MINUTES:
            raise ValueError(f"minutes must be from 1 to {MAX_MINUTES}")
    except ValueError as error:
        return jsonify(error=str(error)), 400
    now = utcnow()
    db = get_db()
    row = db.get(ClientSession, client) or ClientSession(client=client)
    row.user = clean_text(user.strip().lower())[0]
    row.expires_at = now + dt.timedelta(minutes=minutes)
    row.changed_at = now
    row.reporter = token.name
    db.add(row)
    db.commit()
    return {"client": client, "user": row.user, "expires": row.expires_at.isoformat() + "Z"}


@bp.delete("/api/v1/sessions")
def end_session() -> Any:
    """``{"client": ip}`` (or ``?client=``): the user logged off; proxies forget them."""
    authorized("proxy", "session")
    body = json_body() if request.get_data(cache=True) else None
    raw = body.get("client") if isinstance(body, dict) else request.args.get("client")
    try:
        client = _client(raw)
    except ValueError as error:
        return jsonify(error=str(error)), 400
    db = get_db()
    row = db.get(ClientSession, client)
    if row is not None and row.expires_at > utcnow():
        row.expires_at = row.changed_at = utcnow()
    db.commit()
    return "", 204


@bp.get("/api/v1/sessions")
def list_sessions() -> Any:
    """Sessions changed after ``since`` (the ``now`` of the previous answer), or every
    unexpired one without it; an ended session comes with an ``expires`` in the past."""
    authorized("proxy")
    now = utcnow()
    query = select(ClientSession)
    since = request.args.get("since")
    if since:
        try:
            query = query.where(ClientSession.changed_at > _timestamp(since))
        except ValueError as error:
            return jsonify(error=str(error)), 400
    else:
        query = query.where(ClientSession.expires_at > now)
    rows = get_db().scalars(query.order_by(ClientSession.changed_at).limit(SESSIONS_PAGE)).all()
    get_db().commit()
    # A full page: the caller asks again from the last change it got.
    last = rows[-1].changed_at if len(rows) == SESSIONS_PAGE else now
    return {
        "now": last.isoformat() + "Z",
        "sessions": [
            {"client": r.client, "user": r.user, "expires": r.expires_at.isoformat() + "Z"}
            for r in rows
        ],
    }


def _timestamp(value: Any) -> dt.datetime:
    """An RFC 3339 time with its zone, as naive UTC (how the tables keep times)."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("since must be an RFC 3339 time")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError
        return parsed.astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise ValueError(f"{value!r} is not an RFC 3339 time with a zone ('Z')") from None


def _client(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("client must be an IP address")
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"client {value[:64]!r} is not an IP address") from None


def _document() -> None:
    """These calls in the API's OpenAPI document (kept here, beside them)."""
    query = [
        {"name": n, "in": "query", "required": n == "since", "schema": {"type": "string"}}
        for n in ("since", "after", "limit")
    ]
    session = {
        "type": "object",
        "properties": {
            "client": {"type": "string"},
            "user": {"type": "string"},
            "expires": {"type": "string", "format": "date-time"},
        },
    }
    answers = {"400": {"description": "bad input"}, "403": {"description": "outside its scope"}}
    OPENAPI["paths"]["/api/v1/events"]["get"] = {
        "summary": "Events from `since` in (ts, id) order, for `read` tokens; `after` = `next`",
        "parameters": query,
        "responses": {"200": {"description": "{events: [...], next: cursor or null}"}, **answers},
    }
    OPENAPI["paths"]["/api/v1/sessions"] = {
        "get": {
            "summary": "Address-to-user sessions changed after `since` (proxy tokens)",
            "parameters": [{"name": "since", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "{now, sessions: [session]}"}, **answers},
        },
        "post": {
            "summary": "A logon: {client, user, minutes} (session or proxy tokens)",
            "requestBody": {"content": {"application/json": {"schema": session}}},
            "responses": {"200": {"description": "the stored session"}, **answers},
        },
        "delete": {
            "summary": "A logoff: {client} or ?client= (session or proxy tokens)",
            "responses": {"204": {"description": "ended"}, **answers},
        },
    }


_document()
