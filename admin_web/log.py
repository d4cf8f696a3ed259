"""The warning log: filters, keyset pages, a detail view, CSV export, the dashboard, retention.

Everything here that came from traffic (URLs, justifications, user names) is attacker-written
text: templates autoescape it and the CSV export defuses spreadsheet formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any, cast

from flask import Blueprint, Response, abort, render_template, request, stream_with_context, url_for
from sqlalchemy import CursorResult, Select, and_, delete, desc, func, or_, select
from sqlalchemy.orm import Session

from policy_lists.vocabulary import ACTIONS, ACTIVITIES, CATEGORIES, OUTCOMES, SOURCES

from . import rollups
from .auth import role_required
from .charts import stacked_bars
from .db import get_db
from .health import proxies
from .inputs import day_arg, int_arg
from .models import Event, LoginFailure, Unclassified, utcnow
from .versions import current_policy

bp = Blueprint("log", __name__)
PAGE = 50
FILTERS = (
    "user", "client", "platform", "category", "activity", "action", "outcome", "source", "reporter",
)  # fmt: skip
CHOICES = {
    "category": CATEGORIES,
    "activity": ACTIVITIES,
    "action": ACTIONS,
    "outcome": OUTCOMES,
    "source": SOURCES,
}
CSV_FIELDS = (
    "id", "ts", "source", "user", "client", "url", "host", "platform_id", "category", "activity",
    "action", "outcome", "justification", "reason", "policy_ref", "reporter",
)  # fmt: skip


def filtered(args: Any) -> Select[Any]:
    query = select(Event)
    for key in FILTERS:
        value = args.get(key, "").strip()[:255]
        if value:
            column = Event.platform_id if key == "platform" else getattr(Event, key)
            query = query.where(column == value)
    start, end = day_arg(args.get("from")), day_arg(args.get("to"))
    if start:
        query = query.where(Event.ts >= start)
    if end:
        query = query.where(Event.ts < end + dt.timedelta(days=1))
    return query


@bp.get("/log")
@role_required("approver", "auditor")
def events() -> Any:
    query = filtered(request.args).order_by(desc(Event.ts), desc(Event.id))
    after = request.args.get("after", "")
    if "|" in after:
        ts_text, _, event_id = after.partition("|")
        ts = day_arg(ts_text)
        if ts is not None:
            query = query.where(or_(Event.ts < ts, and_(Event.ts == ts, Event.id < event_id[:36])))
    rows = get_db().scalars(query.limit(PAGE + 1)).all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after" and v}
    next_url = None
    if more:
        last = rows[-1]
        next_url = url_for("log.events", **args, after=f"{last.ts.isoformat()}|{last.id}")
    return render_template(
        "log.html",
        rows=rows,
        args=args,
        next_url=next_url,
        csv_url=url_for("log.export", **args),
        choices=CHOICES,
        platforms=sorted(p["id"] for p in current_policy(get_db()).compiled["platforms"]),
    )


@bp.get("/log/<event_id>")
@role_required("approver", "auditor")
def detail(event_id: str) -> Any:
    event = get_db().get(Event, event_id)
    if event is None:
        abort(404)
    return render_template("event.html", e=event, fields=CSV_FIELDS)


def defuse(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@bp.get("/log.csv")
@role_required("approver", "auditor")
def export() -> Response:
    query = filtered(request.args).order_by(desc(Event.ts), desc(Event.id))
    session: Session = get_db()

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_FIELDS)
        for event in session.scalars(query.execution_options(yield_per=1000)):
            writer.writerow(
                [
                    defuse(getattr(event, f).isoformat() + "Z" if f == "ts" else getattr(event, f))
                    for f in CSV_FIELDS
                ]
            )
            if buffer.tell() > 65536:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(rows()),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": "attachment; filename=staffguard-warnings.csv",
        },
    )


@bp.get("/")
@role_required("approver", "auditor")
def dashboard() -> Any:
    db = get_db()
    days = min(int_arg(request.args.get("days"), 1, 10**9) or 30, 365)
    since = (utcnow() - dt.timedelta(days=days)).date().isoformat()
    return render_template(
        "dashboard.html",
        days=days,
        chart=stacked_bars(rollups.per_day(db, since)),
        top=rollups.top_platforms(db, since),
        outcomes=rollups.outcomes(db, since),
        repeat=rollups.repeat_users(db, since),
        unclassified=top_unclassified(db, since),
        proxies=proxies(db),
    )


def top_unclassified(db: Session, since: str, limit: int = 15) -> list[tuple[str, int]]:
    """The domains staff visit most that no list classifies (still unclassified today)."""
    policy = current_policy(db)
    total = func.sum(Unclassified.count).label("n")
    rows = db.execute(
        select(Unclassified.domain, total)
        .where(Unclassified.day >= since)
        .group_by(Unclassified.domain)
        .order_by(desc("n"))
        .limit(limit * 3)
    ).all()
    return [(d, int(n)) for d, n in rows if policy.platform_for_host(d) is None][:limit]


def purge(db: Session, retention_days: int) -> dict[str, int]:
    """Delete events and counts older than the retention setting."""
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    events = cast(CursorResult[Any], db.execute(delete(Event).where(Event.ts < cutoff)))
    counts = cast(
        CursorResult[Any],
        db.execute(delete(Unclassified).where(Unclassified.day < cutoff.date().isoformat())),
    )
    rollups.purge_before(db, cutoff.date().isoformat())
    db.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - dt.timedelta(days=1)))
    db.commit()
    return {"events": events.rowcount or 0, "unclassified": counts.rowcount or 0}
