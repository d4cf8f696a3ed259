"""How the site and its proxies are doing: ``/healthz`` and the proxies' health reports.

Each proxy posts ``POST /api/v1/status`` now and then (docs/design.md); the latest report per
reporter is kept, shown on the dashboard and listed in ``/healthz``, so a proxy that stopped
reporting, runs an old policy, or cannot write its log is seen rather than silently failing
open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import select
from sqlalchemy.orm import Session

from .api import authorized
from .db import get_db
from .inputs import clean_text, json_body
from .models import ProxyStatus, utcnow
from .versions import current

bp = Blueprint("health", __name__)
STALE_AFTER = dt.timedelta(minutes=15)
MAX_NUMBER = 2**62


@bp.get("/healthz")
def healthz() -> Any:
    db = get_db()
    return {"status": "ok", "proxies": [_public(p) for p in proxies(db)]}


@bp.post("/api/v1/status")
def status() -> Any:
    authorized("proxy")
    body = json_body()
    try:
        report = _report(body)
    except ValueError as error:
        return jsonify(error=str(error), index=None), 400
    db = get_db()
    row = db.get(ProxyStatus, report["reporter"])
    if row is None:
        db.add(ProxyStatus(**report))
    else:
        for key, value in report.items():
            setattr(row, key, value)
    db.commit()
    return Response(status=204)


def _report(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object {reporter, policy_version, spool_backlog, ...}")
    reporter, version = body.get("reporter"), body.get("policy_version", "")
    if not isinstance(reporter, str) or not reporter.strip():
        raise ValueError("reporter must be text ('<hostname>:<port>')")
    if not isinstance(version, str):
        raise ValueError("policy_version must be text")
    numbers = {}
    for key in ("spool_backlog", "log_failures"):
        value = body.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NUMBER:
            raise ValueError(f"{key} must be a whole number from 0")
        numbers[key] = value
    failure = body.get("last_failure")
    if failure is not None and not isinstance(failure, str):
        raise ValueError("last_failure must be text or null")
    return {
        "reporter": clean_text(reporter.strip())[0][:200],
        "policy_version": clean_text(version)[0][:64],
        "last_failure": clean_text(failure)[0][:500] if failure else None,
        "received_at": utcnow(),
        **numbers,
        **_identity_keys(body),
    }


def _identity_keys(body: dict[str, Any]) -> dict[str, Any]:
    """``identity_keys`` (how many device identity keys the proxy knows) and
    ``identity_keys_fetched`` (when it last got them, RFC 3339 or null); both absent from a
    proxy older than them, which is stored as unknown (None), not as "no keys"."""
    keys, fetched = body.get("identity_keys"), body.get("identity_keys_fetched")
    if keys is not None and (
        isinstance(keys, bool) or not isinstance(keys, int) or not 0 <= keys <= 1000
    ):
        raise ValueError("identity_keys must be a whole number from 0 to 1000, or null")
    fetched_at = None
    if fetched is not None:
        try:
            if not isinstance(fetched, str) or len(fetched) > 40:
                raise ValueError
            parsed = dt.datetime.fromisoformat(fetched.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError
        except ValueError:
            raise ValueError("identity_keys_fetched must be an RFC 3339 time or null") from None
        fetched_at = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return {"identity_keys": keys, "identity_keys_fetched_at": fetched_at}


def proxies(db: Session) -> list[dict[str, Any]]:
    """Every proxy's latest report, with what needs an admin's attention marked."""
    version = current(db).version
    now = utcnow()
    return [
        {
            "reporter": row.reporter,
            "last_seen": row.received_at.isoformat() + "Z",
            "stale": now - row.received_at > STALE_AFTER,
            "policy_version": row.policy_version,
            "policy_current": row.policy_version == version,
            "spool_backlog": row.spool_backlog,
            "log_failures": row.log_failures,
            "last_failure": row.last_failure,
            "identity_keys": row.identity_keys,
            "identity_keys_fetched": (
                row.identity_keys_fetched_at.isoformat() + "Z"
                if row.identity_keys_fetched_at
                else None
            ),
        }
        for row in db.scalars(select(ProxyStatus).order_by(ProxyStatus.reporter))
    ]


def _public(proxy: dict[str, Any]) -> dict[str, Any]:
    """What anyone may read on /healthz: no failure text (it may name paths on the proxy)."""
    return {key: value for key, value in proxy.items() if key != "last_failure"}
