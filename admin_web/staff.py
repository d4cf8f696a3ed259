"""Who the staff are and who has acknowledged the training: periods, the roster, completion.

A period is a school year (July–June unless the district sets another first month), so an
acknowledgment is due once a year and again when the policy revision in force changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models_iibgc import Acknowledgment, IibgcSetting, RosterEntry

EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+(\.[a-z0-9-]+)+)$")
UNKNOWN = "(not on the roster)"
DEFAULTS: dict[str, Any] = {
    "training_domains": [],  # empty: any email address may acknowledge
    "domain_buildings": {},  # {"lhs.usd999.org": "Lincoln High"}
    "period_start_month": 7,
    "policy_revision": "",  # empty: read from the policy text ("KASB 4/26")
}


def policy_text() -> str:
    """The policy's text as shipped (docs/policy/IIBGC-2026.txt, packaged with the site)."""
    return resources.files("admin_web").joinpath("policy/IIBGC-2026.txt").read_text("utf-8")


def settings(db: Session) -> dict[str, Any]:
    stored = {row.key: row.value for row in db.scalars(select(IibgcSetting))}
    return {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}


def save_settings(db: Session, values: dict[str, Any]) -> None:
    for key, value in values.items():
        row = db.get(IibgcSetting, key)
        if row is None:
            db.add(IibgcSetting(key=key, value=value))
        else:
            row.value = value


def policy_revision(db: Session) -> str:
    """The revision in force: the district's setting, else the text's last 'Approved:' date."""
    configured = str(settings(db)["policy_revision"]).strip()
    if configured:
        return configured
    found = re.findall(r"(\d{1,2}/\d{2})", policy_text().rsplit("Approved:", 1)[-1])
    return f"IIBGC, KASB {found[-1]}" if found else "IIBGC"


def period_of(day: dt.date, start_month: int = 7) -> str:
    """The school year holding ``day``: '2026-27' for July 2026 to June 2027."""
    if start_month == 1:
        return str(day.year)
    first = day.year if day.month >= start_month else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def period_bounds(period: str, start_month: int = 7) -> tuple[dt.date, dt.date]:
    """First and last day of a period named by ``period_of``."""
    first_year = int(period[:4])
    start = dt.date(first_year, start_month, 1)
    end = (
        dt.date(first_year + 1, start_month, 1)
        if start_month != 1
        else dt.date(first_year + 1, 1, 1)
    )
    return start, end - dt.timedelta(days=1)


def current_period(db: Session, today: dt.date | None = None) -> str:
    return period_of(today or dt.date.today(), int(settings(db)["period_start_month"]))


def email_problem(db: Session, email: str) -> str | None:
    """Why this address may not acknowledge (None: it may)."""
    match = EMAIL.match(email)
    if not match:
        return "enter your district email address"
    domains = [d.lower() for d in settings(db)["training_domains"]]
    if domains and match.group(1) not in domains:
        return f"use your district address ({', '.join('@' + d for d in domains)})"
    return None


def acknowledgment(db: Session, email: str, period: str) -> Acknowledgment | None:
    return db.scalar(
        select(Acknowledgment).where(Acknowledgment.email == email, Acknowledgment.period == period)
    )


def is_due(db: Session, email: str, period: str) -> bool:
    """Due when not acknowledged this period, or acknowledged under an older revision."""
    found = acknowledgment(db, email, period)
    return found is None or found.policy_revision != policy_revision(db)


VIAS = ("page", "sso", "proxy", "extension")  # how an acknowledgment was made


def acknowledge(db: Session, email: str, name: str, period: str, via: str) -> Acknowledgment:
    """Record (or renew, for a new revision) ``email``'s acknowledgment for ``period``, made
    ``via`` the training page, SSO sign-in, the proxy's step or the extension's (``VIAS``)."""
    if via not in VIAS:
        raise ValueError(f"acknowledgment via {via!r}: not one of {', '.join(VIAS)}")
    revision = policy_revision(db)
    row = acknowledgment(db, email, period)
    if row is None:
        row = Acknowledgment(email=email, period=period, name=name)
        db.add(row)
    row.name = name or row.name
    row.at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row.policy_revision = revision
    row.via = via
    return row


@dataclass
class Person:
    email: str
    name: str
    building: str
    role: str
    acknowledged: Acknowledgment | None


def people(db: Session, period: str) -> list[Person]:
    """Everyone on the roster, and anyone else who acknowledged this period."""
    buildings = {k.lower(): v for k, v in settings(db)["domain_buildings"].items()}
    acks = {
        a.email: a
        for a in db.scalars(select(Acknowledgment).where(Acknowledgment.period == period))
    }
    found: dict[str, Person] = {}
    for entry in db.scalars(select(RosterEntry)):
        domain = entry.email.rpartition("@")[2]
        building = entry.building or buildings.get(domain, UNKNOWN)
        found[entry.email] = Person(
            entry.email, entry.name, building, entry.role or UNKNOWN, acks.get(entry.email)
        )
    for email, ack in acks.items():
        if email not in found:
            building = buildings.get(email.rpartition("@")[2], UNKNOWN)
            found[email] = Person(email, ack.name, building, UNKNOWN, ack)
    return sorted(found.values(), key=lambda p: (p.building, p.email))


def completion(everyone: list[Person], key: str) -> list[tuple[str, int, int]]:
    """(building or role, staff, acknowledged) rows, sorted by name."""
    totals: dict[str, list[int]] = {}
    for person in everyone:
        row = totals.setdefault(getattr(person, key), [0, 0])
        row[0] += 1
        row[1] += person.acknowledged is not None
    return [(name, n, done) for name, (n, done) in sorted(totals.items())]


def by_via(everyone: list[Person]) -> list[tuple[str, int]]:
    """(how, acknowledgments made that way) for this period, in ``VIAS`` order; "" (recorded
    before StaffGuard kept it) last, when there are any."""
    counts = {via: 0 for via in (*VIAS, "")}
    for person in everyone:
        if person.acknowledged is not None:
            counts[person.acknowledged.via if person.acknowledged.via in counts else ""] += 1
    return [(via, n) for via, n in counts.items() if via or n]


def import_roster(db: Session, text: str, replace: bool = False) -> tuple[int, list[str]]:
    """Upsert roster rows from CSV with columns email, name, building, role (a header row)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "email" not in fields:
        return 0, ["the first row must name the columns: email, name, building, role"]
    rows, problems = [], []
    for number, raw in enumerate(reader, 2):
        record = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        email = record.get("email", "").lower()
        if not EMAIL.match(email):
            problems.append(f"line {number}: {email or '(empty)'} is not an email address")
            continue
        rows.append(
            RosterEntry(
                email=email,
                name=record.get("name", "")[:200],
                building=record.get("building", "")[:200],
                role=record.get("role", "")[:100],
            )
        )
    if problems:
        return 0, problems
    if replace:
        for entry in db.scalars(select(RosterEntry)):
            db.delete(entry)
        db.flush()
    for row in rows:
        db.merge(row)
    return len(rows), []
