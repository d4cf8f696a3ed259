"""The warning log: filters, keyset pages, a detail view, CSV export, the dashboard, retention.

Everything here that came from traffic (URLs, justifications, user names) is attacker-written
text: templates autoescape it and the CSV export defuses spreadsheet formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import re
from collections.abc import Iterator
from typing import Any, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
    send_from_directory,
    stream_with_context,
    url_for,
)
from sqlalchemy import CursorResult, Select, and_, delete, desc, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from policy_lists.event_schema import EVENT_FIELDS
from policy_lists.vocabulary import ACTIONS, CATEGORIES, EVENT_ACTIVITIES, OUTCOMES, SOURCES

from . import describe, rollups, timefmt
from .auth import can, role_required
from .charts import day_range, stacked_bars
from .db import get_db
from .health import proxies
from .infrastructure import is_infrastructure
from .inputs import day_arg, int_arg
from .models import Event, LoginFailure, Unclassified, utcnow
from .versions import current_policy

bp = Blueprint("log", __name__)
bp.add_app_template_filter(timefmt.when, "when")
bp.add_app_template_filter(timefmt.day, "day")
bp.add_app_template_filter(describe.word, "word")
PAGE = 50
WHOLE_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MANY_USERS = 50
EXACT = ("platform", "category", "activity", "action", "outcome", "source", "reporter")
CHOICES = {
    "category": CATEGORIES,
    "activity": EVENT_ACTIVITIES,
    "action": ACTIONS,
    "outcome": OUTCOMES,
    "source": SOURCES,
}
CSV_FIELDS = EVENT_FIELDS  # policy_lists/schemas/event.schema.json's properties, in order


def _date(text: str | None) -> dt.date | None:
    """A From/To day as typed (YYYY-MM-DD), or None when it is not one."""
    if not text or len(text.strip()) > 10:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _day_start(day: dt.date, days_later: int = 0) -> dt.datetime | None:
    """When a district day begins, in stored (UTC) time; None past the calendar's ends
    (year 1 or 9999): such a bound leaves nothing out."""
    try:
        return timefmt.day_start(day + dt.timedelta(days=days_later))
    except OverflowError:
        return None


def problems(args: Any) -> list[str]:
    """Why a filter cannot match anything, in words the person who typed it can act on."""
    found = []
    for key, label in (("from", "From"), ("to", "To")):
        if args.get(key, "").strip() and _date(args.get(key)) is None:
            found.append(f"{label} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-30.")
    start, end = _date(args.get("from")), _date(args.get("to"))
    if start and end and start > end:
        found.append(f"From ({start}) is after To ({end}): no day is in that range.")
    return found


def filtered(args: Any) -> Select[Any]:
    """Events matching the log's filters: a user by part of the name (a whole address exactly),
    a client by its first characters (``10.1.`` is one subnet; a whole address exactly), the
    rest exactly; days are the district's days."""
    query = select(Event)
    for key in EXACT:
        value = args.get(key, "").strip()[:255]
        if value:
            column = Event.platform_id if key == "platform" else getattr(Event, key)
            query = query.where(column == value)
    user, client = args.get("user", "").strip()[:255], args.get("client", "").strip()[:64]
    if user:
        query = query.where(_user_matches(user))
    if _is_address(client):
        query = query.where(Event.client == client)
    elif client:
        query = query.where(Event.client.startswith(client, autoescape=True))
    start, end = _date(args.get("from")), _date(args.get("to"))
    since = _day_start(start) if start else None
    until = _day_start(end, days_later=1) if end else None
    if since is not None:
        query = query.where(Event.ts >= since)
    if until is not None:
        query = query.where(Event.ts < until)
    return query


def _user_matches(text: str) -> ColumnElement[bool]:
    """A whole address is that user; part of a name is every user whose name contains it,
    looked up among the distinct names (an index-only scan) so the (user, ts) index serves the
    page, unless so many match that scanning the newest events finds a page sooner."""
    if WHOLE_ADDRESS.fullmatch(text):
        return Event.user == text
    wanted = text.lower()
    everyone = get_db().scalars(select(Event.user).distinct())
    names = [n for n in everyone if n and wanted in n.lower()]
    if len(names) <= MANY_USERS:
        return Event.user.in_(names)
    return func.lower(Event.user).contains(wanted, autoescape=True)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def platform_name(platform_id: str | None) -> str:
    """A platform's name in the policy in force (``x`` is "X (Twitter)"), for pages that
    would otherwise show the lists' ids; the id itself for one the lists no longer hold."""
    if not platform_id or platform_id == "unclassified":
        return "unclassified"
    if "platform_names" not in g:
        platforms = current_policy(get_db()).compiled["platforms"]
        g.platform_names = {raw["id"]: raw["name"] for raw in platforms}
    return str(g.platform_names.get(platform_id, platform_id))


bp.add_app_template_filter(platform_name, "platform")


def platform_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """(category, [(id, name)]) in the vocabulary's order: social media first."""
    groups: dict[str, list[tuple[str, str]]] = {c: [] for c in CATEGORIES}
    for raw in current_policy(get_db()).compiled["platforms"]:
        groups.setdefault(raw["category"], []).append((raw["id"], raw["name"]))
    return [(c, sorted(ps, key=lambda p: p[1].lower())) for c, ps in groups.items() if ps]


@bp.get("/log")
@role_required("approver", "auditor")
def events() -> Any:
    wrong = problems(request.args)
    query = filtered(request.args).order_by(desc(Event.ts), desc(Event.id))
    after = request.args.get("after", "")
    if "|" in after:
        ts_text, _, event_id = after.partition("|")
        ts = day_arg(ts_text)
        if ts is not None:
            query = query.where(or_(Event.ts < ts, and_(Event.ts == ts, Event.id < event_id[:36])))
    rows = [] if wrong else get_db().scalars(query.limit(PAGE + 1)).all()
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
        platform_groups=platform_groups(),
        problems=wrong,
        zone=timefmt.district_zone(),
    )


@bp.get("/log/<event_id>")
@role_required("approver", "auditor")
def detail(event_id: str) -> Any:
    event = get_db().get(Event, event_id)
    if event is None:
        abort(404)
    platform = current_policy(get_db()).platforms.get(event.platform_id or "")
    return render_template(
        "event.html",
        e=event,
        labels=describe.EVENT_FIELDS,
        platform_name=getattr(platform, "name", None),
    )


def defuse(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@bp.get("/log.csv")
@role_required("approver", "auditor")
def export() -> Response:
    if wrong := problems(request.args):
        return Response(" ".join(wrong), 400, {"Content-Type": "text/plain; charset=utf-8"})
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
    district = current_policy(db).settings
    zone = timefmt.district_zone()
    now = utcnow()
    today = timefmt.local(now, zone).date()  # the district's today, not UTC's
    first = today - dt.timedelta(days=days - 1)  # "last 7 days": today and 6 more
    since = first.isoformat()
    return render_template(
        "dashboard.html",
        days=days,
        ask_district=can() and not district.get("district_name"),
        time_zone=district.get("time_zone") or "",
        day_begins=rollups.shifted_day_start(zone, now),
        zones=timefmt.zone_names(),
        chart=stacked_bars(
            [(day, platform_name(p), n) for day, p, n in rollups.per_day(db, first, today, zone)],
            day_range(first, today),
        ),
        top=rollups.top_platforms(db, first, today, zone),
        outcomes=rollups.outcomes(db, first, today, zone),
        repeat=rollups.repeat_users(db, first, today, zone),
        student_required=student_required(db, *rollups.span(first, today, zone)),
        unclassified=top_unclassified(db, since),
        proxies=[
            {
                **p,
                "seen": _naive(p["last_seen"]),
                "keys_seen": _naive(p["identity_keys_fetched"])
                if p.get("identity_keys_fetched")
                else None,
            }
            for p in proxies(db)
        ],
    )


def student_required(db: Session, start: dt.datetime, end: dt.datetime) -> int:
    """How many LMS assignments or announcements linked students to a social media platform
    (IIBGC: no employee shall require a student to use one), one event per platform named,
    between ``start`` and ``end`` (UTC: the dashboard's district days)."""
    found = db.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.activity == "student_required", Event.ts >= start, Event.ts < end)
    )
    return int(found or 0)


def _naive(stamp: str) -> dt.datetime:
    """A health report's time (``...Z``) as the naive UTC the ``when`` filter reads."""
    return dt.datetime.fromisoformat(stamp).replace(tzinfo=None)


def top_unclassified(db: Session, since: str, limit: int = 15) -> list[tuple[str, int]]:
    """The domains staff visit most that no list classifies (still unclassified today), less
    the browser's and the system's own background hosts (``infrastructure``)."""
    policy = current_policy(db)
    total = func.sum(Unclassified.count).label("n")
    rows = db.execute(
        select(Unclassified.domain, total)
        .where(Unclassified.day >= since)
        .group_by(Unclassified.domain)
        .order_by(desc("n"))
        .limit(limit * 4)
    ).all()
    return [
        (d, int(n))
        for d, n in rows
        if policy.platform_for_host(d) is None and not is_infrastructure(d)
    ][:limit]


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says; answer it, not with a 404."""
    return send_from_directory(
        current_app.static_folder or "static", "favicon.ico", mimetype="image/x-icon", max_age=86400
    )


def purge(db: Session, retention_days: int) -> dict[str, int]:
    """Delete events and counts older than the retention setting."""
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    events = cast(CursorResult[Any], db.execute(delete(Event).where(Event.ts < cutoff)))
    counts = cast(
        CursorResult[Any],
        db.execute(delete(Unclassified).where(Unclassified.day < cutoff.date().isoformat())),
    )
    rollups.purge_before(db, cutoff)
    db.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - dt.timedelta(days=1)))
    db.commit()
    return {"events": events.rowcount or 0, "unclassified": counts.rowcount or 0}
