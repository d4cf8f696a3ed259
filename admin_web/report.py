"""The board report: what a superintendent puts in a board packet or sends to the state, for a
date range, beside the same figures for the period before it.

Warnings and outcomes come from the same hourly counts the dashboard reads (``rollups``), and
every range is a range of the district's days (the ``time_zone`` setting), so the report, the
dashboard and the warning log's CSV export agree (``tests/admin/test_report.py``).
``/report.pdf`` renders the same page with WeasyPrint when it is installed (extra ``pdf``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import rollups, staff, timefmt
from .auth import role_required
from .db import get_db
from .duties import account_duties
from .models import Approval, Event, ExemptionRow, PermissionRequest, utcnow
from .rollups import WARNED
from .versions import current, current_policy

bp = Blueprint("report", __name__)
STATIC = Path(__file__).with_name("static")


FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _range(args: Any, today: dt.date) -> tuple[dt.date, dt.date]:
    """The From/To days asked for (the last 30 days by default), within 1900 to 2999: a year
    typed as 0001 or 9999 gives the report of the nearest of those years (the page names the
    days it covers) instead of a calendar overflow, the period before it included."""

    def day(key: str, default: dt.date) -> dt.date:
        try:
            return min(max(dt.date.fromisoformat(args.get(key, "")), FIRST_DAY), LAST_DAY)
        except ValueError:
            return default

    end = day("to", today)
    start = day("from", max(end - dt.timedelta(days=29), FIRST_DAY))
    return (start, end) if start <= end else (end, start)


def _counts(db: Session, start: dt.date, end: dt.date, zone: str) -> dict[str, Any]:
    since, until = rollups.span(start, end, zone)  # the UTC hours the counts were kept in
    activities = db.execute(
        select(Event.activity, func.count())
        .where(Event.ts >= since, Event.ts < until, Event.outcome.in_(WARNED))
        .group_by(Event.activity)
    ).all()
    platforms = rollups.per_platform(db, start, end, zone)
    return {
        "platforms": {p or "unclassified": n for p, n in platforms.items()},
        "outcomes": rollups.outcomes(db, start, end, zone),
        "activities": {a: int(n) for a, n in activities},
    }


def _trend(now: dict[str, int], before: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), k)):
        n, p = now.get(key, 0), before.get(key, 0)
        change = None if p == 0 else round(100 * (n - p) / p)
        rows.append({"name": key, "count": n, "previous": p, "change_pct": change})
    return rows


def report_data(db: Session, start: dt.date, end: dt.date) -> dict[str, Any]:
    length = (end - start).days + 1
    prev_end = start - dt.timedelta(days=1)
    prev_start = prev_end - dt.timedelta(days=length - 1)
    policy = current_policy(db)
    zone = policy.settings.get("time_zone") or "UTC"
    now, before = _counts(db, start, end, zone), _counts(db, prev_start, prev_end, zone)
    names = {p["id"]: p["name"] for p in policy.compiled["platforms"]}
    since, until = rollups.span(start, end, zone)
    requests = db.scalars(
        select(PermissionRequest)
        .where(PermissionRequest.created_at >= since, PermissionRequest.created_at < until)
        .order_by(PermissionRequest.created_at)
    ).all()
    by_status: dict[str, int] = {}
    for r in requests:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    approved_costs = sum(
        float(c["amount"]) for r in requests if r.status == "approved" for c in r.costs
    )
    period = staff.period_of(end, int(staff.settings(db)["period_start_month"]))
    everyone = staff.people(db, period)
    return {
        "district": policy.settings.get("district_name") or "",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "previous": {"from": prev_start.isoformat(), "to": prev_end.isoformat()},
        "policy_revision": staff.policy_revision(db),
        "list_version": current(db).version,
        "approvals": [
            {
                "platform": a.platform,
                "name": names.get(a.platform, a.platform),
                "approved_on": a.approved_on,
                "reference": a.reference,
                "new": start.isoformat() <= a.approved_on <= end.isoformat(),
            }
            for a in db.scalars(select(Approval).order_by(Approval.approved_on))
            if a.approved_on <= end.isoformat()
        ],
        "accounts": [
            {
                "platform": d.account.platform,
                "handle": d.account.handle,
                "sponsor": d.account.sponsor,
                "officials": list(d.account.officials),
                "last_review": d.last_review.at.date().isoformat() if d.last_review else None,
                "review_due": d.review_due.isoformat() if d.review_due else None,
                "review_status": d.review_status,
                "flags": d.flags,
            }
            for d in account_duties(db, today=end)
        ],
        "requests": {
            "by_status": by_status,
            "approved_costs": f"{approved_costs:.2f}",
            "rows": [
                {
                    "created": timefmt.day(r.created_at, zone),
                    "requester": r.requester,
                    "platform": names.get(r.platform_id, r.platform_id),
                    "status": r.status,
                    "costs": f"{sum(float(c['amount']) for c in r.costs):.2f}",
                    "decided_by": r.decided_by or "",
                }
                for r in requests
            ],
        },
        "warnings": {
            "total": sum(now["platforms"].values()),
            "previous_total": sum(before["platforms"].values()),
            "by_platform": _trend(now["platforms"], before["platforms"]),
        },
        "outcomes": _trend(now["outcomes"], before["outcomes"]),
        "activities": _trend(now["activities"], before["activities"]),
        "training": {
            "period": period,
            "staff": len(everyone),
            "acknowledged": sum(1 for p in everyone if p.acknowledged is not None),
            "by_building": [
                {"building": b, "staff": n, "acknowledged": done}
                for b, n, done in staff.completion(everyone, "building")
            ],
        },
        "exemptions": [
            {"name": e.name, "users": list(e.users), "networks": list(e.networks)}
            for e in db.scalars(select(ExemptionRow).order_by(ExemptionRow.name))
        ],
        "generated": timefmt.when(utcnow(), zone),
    }


def _data() -> dict[str, Any]:
    start, end = _range(request.args, timefmt.local(utcnow()).date())
    return report_data(get_db(), start, end)


@bp.get("/report")
@role_required("approver", "auditor")
def report() -> Any:
    return render_template("report.html", r=_data(), pdf=_weasyprint() is not None)


@bp.get("/report.json")
@role_required("approver", "auditor")
def report_json() -> Any:
    return Response(json.dumps(_data()), 200, {"Content-Type": "application/json"})


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError):  # not installed, or its system libraries are missing
        return None
    return weasyprint


@bp.get("/report.pdf")
@role_required("approver", "auditor")
def report_pdf() -> Any:
    weasyprint = _weasyprint()
    if weasyprint is None:
        return Response(
            "PDF needs WeasyPrint: pip install 'staffguard[pdf]'; or print /report from a "
            "browser to PDF.",
            501,
            {"Content-Type": "text/plain; charset=utf-8"},
        )
    r = _data()
    # The page's own stylesheets from disk, and no <link> left to fetch: nothing from a network.
    html = re.sub(r"<link [^>]*>", "", render_template("report.html", r=r, pdf=True))
    sheets = [weasyprint.CSS(filename=str(STATIC / name)) for name in ("style.css", "report.css")]
    document = weasyprint.HTML(string=html)
    name = f"staffguard-board-report-{r['from']}-{r['to']}.pdf"
    current_app.logger.info("board report PDF %s", name)
    return Response(
        document.write_pdf(stylesheets=sheets),
        200,
        {"Content-Type": "application/pdf", "Content-Disposition": f"attachment; filename={name}"},
    )
