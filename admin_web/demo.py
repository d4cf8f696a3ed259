"""``staffguard demo``: a believable semester of a mid-size district, so a newcomer sees every
page alive and the screenshots have something real to show.

Prairie Valley USD 999: six buildings, ~240 staff on the roster, board approvals with minutes
references, permission requests (granted, denied, pending, some with costs), the accounts they
created with yearly reviews, a semester of warnings through the same path the API stores them,
and most staff's training acknowledgments. Seeded, so the same day gives the same district.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import secrets
import sys
import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from . import staff, timefmt
from .api import store_events
from .models import (
    Account,
    Approval,
    Event,
    EventHour,
    ExemptionRow,
    LayerEntry,
    PermissionRequest,
    Setting,
    Unclassified,
    User,
    UserDay,
)
from .models_iibgc import AccountReview, Acknowledgment, Reminder, RosterEntry, TrainingSection
from .versions import commit_change, current_policy

DOMAIN = "usd999.org"
BUILDINGS = {  # building: (staff, share of coaches)
    "Prairie Valley High School": (78, 0.25),
    "Prairie Valley Middle School": (52, 0.2),
    "Lincoln Elementary": (34, 0.0),
    "Washington Elementary": (31, 0.0),
    "Jefferson Elementary": (29, 0.0),
    "District Office": (18, 0.0),
}
ROLES = ("teacher", "paraprofessional", "counselor", "office staff", "administrator")
FIRST = (
    "Amy",
    "Ben",
    "Carla",
    "Dan",
    "Elena",
    "Frank",
    "Grace",
    "Hector",
    "Ivy",
    "Jamal",
    "Kara",
    "Luis",
    "Maya",
    "Noah",
    "Olivia",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Victor",
    "Wendy",
    "Xavier",
    "Yara",
    "Zach",
    "Abby",
    "Brett",
    "Chloe",
    "Derek",
    "Emma",
    "Felix",
    "Gina",
    "Hank",
    "Iris",
    "Jon",
    "Kim",
    "Leo",
    "Mia",
    "Nate",
)
LAST = (
    "Adams",
    "Baker",
    "Carter",
    "Diaz",
    "Evans",
    "Foster",
    "Garcia",
    "Hughes",
    "Irwin",
    "Jensen",
    "Klein",
    "Lopez",
    "Miller",
    "Nguyen",
    "Owens",
    "Patel",
    "Quade",
    "Reyes",
    "Schmidt",
    "Turner",
    "Unruh",
    "Vogel",
    "Walsh",
    "Young",
    "Zimmer",
    "Becker",
    "Dyck",
    "Friesen",
    "Koehn",
    "Regier",
)
ZONE = "America/Chicago"
TABLES = (
    Event,
    EventHour,
    UserDay,
    Unclassified,
    PermissionRequest,
    Account,
    AccountReview,
    Approval,
    ExemptionRow,
    Acknowledgment,
    Reminder,
    RosterEntry,
    TrainingSection,
    LayerEntry,
)
COSTS = (
    {"item": "Canva Pro for Education seats", "amount": "119.99"},
    {"item": "Scheduling tool (Later), school year", "amount": "200.00"},
    {"item": "Boosted post for the fall play", "amount": "45.00"},
    {"item": "Sports photo licence", "amount": "75.50"},
)
SECTIONS = (
    (
        "Our procedures",
        "Ask before you set up any social media account for a class, club or team: use the "
        "permission request form linked from every StaffGuard warning. The superintendent's "
        "office answers within five school days.\n\nGive the building principal and the "
        "district communications office administrative access to every approved account.",
    ),
    (
        "Examples",
        "Allowed: the band posts the concert schedule on the district's approved Facebook "
        "page.\n\nNot allowed: answering a student's question by Instagram direct message, "
        "even after school. Use district email or Canvas instead.\n\nNot allowed: an "
        "assignment that requires students to post a TikTok video.",
    ),
    (
        "Contacts",
        "Questions about this policy: Dr. Ellen Koehn, assistant superintendent, "
        "ekoehn@usd999.org, (620) 555-0142.",
    ),
)


def is_empty(db: Session) -> bool:
    tables = (Event, Approval, Account, PermissionRequest, RosterEntry, Acknowledgment, LayerEntry)
    return all(not db.scalar(select(func.count()).select_from(t)) for t in tables)


def clear(db: Session) -> None:
    for table in TABLES:
        db.execute(delete(table))
    db.execute(delete(Setting).where(Setting.key.in_(("district_name", "time_zone"))))
    db.flush()


def _roster(rng: random.Random) -> list[RosterEntry]:
    people, seen = [], set()
    for building, (count, coaches) in BUILDINGS.items():
        for n in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first[0]}{last}".lower() + f"@{DOMAIN}"
            while email in seen:
                email = email.replace("@", f"{rng.randint(2, 9)}@", 1)
            seen.add(email)
            if building == "District Office":
                role = rng.choice(("administrator", "office staff", "technology"))
            elif n == 0:
                role = "administrator"
            elif rng.random() < coaches:
                role = "coach"
            else:
                role = rng.choices(ROLES[:4], (70, 15, 5, 10))[0]
            people.append(
                RosterEntry(email=email, name=f"{first} {last}", building=building, role=role)
            )
    return people


def fill(db: Session, today: dt.date, seed: int = 999) -> dict[str, int]:
    """Fill an empty database with the demo district; how many rows of each kind."""
    rng = random.Random(f"{seed}:{today.isoformat()}")
    start = today - dt.timedelta(days=119)  # a semester
    roster = _roster(rng)
    roster.append(
        RosterEntry(
            email=f"comms@{DOMAIN}",
            name="Communications office",
            building="District Office",
            role="office staff",
        )
    )
    db.add_all(roster)
    staff.save_settings(db, {"training_domains": [DOMAIN], "domain_buildings": {}})
    for position, (title, body) in enumerate(SECTIONS, 1):
        db.add(TrainingSection(position=position, title=title, body=body, updated_by="demo"))
    policy = current_policy(db)
    social = [p for p in policy.compiled["platforms"] if p["category"] == "social_media"]
    ids = [p["id"] for p in social]
    approved = [p for p in ("facebook", "instagram", "youtube", "x") if p in ids][:3] or ids[:2]
    for n, platform in enumerate(approved):
        day = (start - dt.timedelta(days=300 - 70 * n)).isoformat()
        db.add(
            Approval(
                platform=platform, approved_on=day, reference=f"Board minutes {day}, item {7 + n}"
            )
        )
    db.add(
        ExemptionRow(name="District communications office", users=[f"comms@{DOMAIN}"], networks=[])
    )
    db.merge(Setting(key="district_name", value="Prairie Valley USD 999"))
    db.merge(Setting(key="time_zone", value=ZONE))  # Kansas: its times read as the staff live them
    db.flush()
    commit_change(db, "demo", "demo", "demo district", None, {"approvals": approved})

    coaches = [p for p in roster if p.role in ("coach", "teacher")]
    principals = {p.building: p.email for p in roster if p.role == "administrator"}
    # Requests for platforms the board has not approved are the ones most often denied.
    others = [p for p in ("tiktok", "snapchat", "discord", "reddit") if p in ids] or ids
    requests = []
    for n in range(16):
        who = rng.choice(coaches)
        platform = approved[n % len(approved)] if n % 4 else rng.choice(others)
        created = dt.datetime.combine(
            start + dt.timedelta(days=rng.randint(0, 110)), dt.time(14, 5)
        )
        if n == 15:  # one request always waits, so an approver sees what deciding looks like
            created = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(14, 5))
        status = (
            "pending"
            if created.date() > today - dt.timedelta(days=6)
            else rng.choices(("approved", "denied"), (3, 1))[0]
        )
        costs = [COSTS[n % len(COSTS)]] if n % 3 == 0 else []
        handle = f"pv_{who.building.split()[-2].lower()}_{who.email.split('@')[0]}"
        officials = [principals.get(who.building, f"comms@{DOMAIN}"), f"comms@{DOMAIN}"]
        record = PermissionRequest(
            key=secrets.token_urlsafe(24),
            created_at=created,
            requester=who.email,
            platform_id=platform,
            purpose="Game schedules, concert dates and photos for parents",
            audience="parents and community",
            account_name=handle,
            officials=officials,
            costs=costs,
            status=status,
            decision_reason="Use the district page instead." if status == "denied" else "",
        )
        if status != "pending":
            record.decided_by = f"superintendent@{DOMAIN}"
            decided = created + dt.timedelta(days=rng.randint(1, 4))
            record.decided_at = decided
        requests.append(record)
        if status == "approved":
            account = Account(
                platform=platform, handle=handle, sponsor=who.email, officials=officials
            )
            db.add(account)
            db.flush()
            reviewed = decided + dt.timedelta(days=rng.randint(10, 40))
            if rng.random() < 0.6 and reviewed.date() < today:
                db.add(
                    AccountReview(
                        account_id=account.id,
                        at=reviewed,
                        reviewer=who.email,
                        officials_have_access=rng.random() > 0.1,
                        monitored=True,
                        one_way_only=rng.random() > 0.1,
                        note="",
                    )
                )
    db.add_all(requests)
    # An older account from before StaffGuard, its review long overdue.
    db.add(
        Account(
            platform=approved[0],
            handle="prairievalleyathletics",
            sponsor=f"former.ad@{DOMAIN}",
            officials=[],
        )
    )
    commit_change(db, "demo", "demo", "demo accounts", None, None)

    rows = _events(rng, roster, policy, start, today)
    store_events(db, rows)
    period = staff.current_period(db, today)
    revision = staff.policy_revision(db)
    first_day = max(staff.period_bounds(period)[0], start)
    acks = 0
    for person in roster:
        if rng.random() < (0.62 if person.building == "Prairie Valley High School" else 0.86):
            at = dt.datetime.combine(
                first_day + dt.timedelta(days=rng.randint(0, 40)), dt.time(8)
            ) + dt.timedelta(minutes=rng.randint(0, 600))
            db.add(
                Acknowledgment(
                    email=person.email,
                    name=person.name,
                    period=period,
                    at=min(at, dt.datetime.combine(today, dt.time())),
                    policy_revision=revision,
                    via=("page", "sso", "proxy", "extension")[acks % 4],
                )
            )
            acks += 1
    for domain, count in (("padlet.com", 412), ("discord.com", 57), ("remind.com", 233)):
        db.add(
            Unclassified(
                reporter="proxy-1:8081",
                day=(today - dt.timedelta(days=2)).isoformat(),
                domain=domain,
                count=count,
            )
        )
    db.commit()
    return {
        "staff": len(roster),
        "requests": len(requests),
        "events": len(rows),
        "acknowledgments": acks,
    }


def _events(
    rng: random.Random, roster: list[RosterEntry], policy: Any, start: dt.date, today: dt.date
) -> list[dict[str, Any]]:
    platforms = {
        p["id"]: p for p in policy.compiled["platforms"] if p["category"] == "social_media"
    }
    weights = {"tiktok": 9, "instagram": 7, "snapchat": 5, "facebook": 6, "x": 3, "youtube": 4}
    chosen = [p for p in platforms if p in weights] or list(platforms)[:5]
    heavy = rng.sample(roster, 12)
    rows = []
    day = start
    while day <= today:
        if day.weekday() < 5:
            for _ in range(rng.randint(18, 46) + (day - start).days // 12):
                platform = rng.choices(chosen, [weights.get(p, 2) for p in chosen])[0]
                host = platforms[platform]["domains"][0]
                verdict = policy.classify(f"https://{host}/")
                activity = rng.choices(
                    ("browse", "direct_message", "comment", "signup"), (60, 18, 15, 7)
                )[0]
                action = "block" if activity == "direct_message" and rng.random() < 0.15 else "warn"
                who = rng.choice(heavy) if rng.random() < 0.3 else rng.choice(roster)
                ts = timefmt.day_start(day, ZONE) + dt.timedelta(  # 7:00 to 17:00 in Kansas
                    hours=7, minutes=rng.randint(0, 600)
                )
                client = f"10.{rng.randint(1, 6)}.{rng.randint(0, 40)}.{rng.randint(2, 99)}"
                # A warning is logged when shown, and again with the choice the staff member made.
                outcomes = ["blocked"] if action == "block" else ["shown"]
                if action == "warn" and rng.random() < 0.85:
                    outcomes.append(rng.choices(("continued", "went_back"), (55, 45))[0])
                for n, outcome in enumerate(outcomes):
                    rows.append(
                        {
                            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                            "ts": ts + dt.timedelta(seconds=40 * n),
                            "source": "proxy" if who.building != "District Office" else "extension",
                            "user": who.email,
                            "client": client,
                            "url": f"https://{host}/",
                            "host": host,
                            "platform_id": platform,
                            "category": "social_media",
                            "activity": activity,
                            "action": action,
                            "outcome": outcome,
                            "justification": "Posting the game schedule"
                            if outcome == "continued" and rng.random() < 0.3
                            else "",
                            "reason": verdict.reason,
                            "policy_ref": verdict.policy_ref,
                        }
                    )
        day += dt.timedelta(days=1)
    return rows


def register(sub: argparse._SubParsersAction, groups: dict[str, Any] | None = None) -> None:
    """Adds ``staffguard demo`` (the same signature as every part's command hook)."""
    demo = sub.add_parser("demo", help="fill a new database with a demo district's semester")
    demo.add_argument(
        "--force", action="store_true", help="replace the demo-able data already there"
    )
    demo.add_argument("--seed", type=int, default=999)
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from .auth import add_user
    from .cli import _app
    from .db import get_db

    with _app().app_context():
        db = get_db()
        if not is_empty(db):
            if not args.force:
                print(
                    "staffguard: the database already holds district data; "
                    "`staffguard demo --force` replaces it with the demo",
                    file=sys.stderr,
                )
                return 2
            clear(db)
        counts = fill(db, dt.date.today(), args.seed)
        if not db.scalar(select(func.count()).select_from(User)):
            password = secrets.token_urlsafe(12)
            add_user("admin", "admin", password)
            db.commit()
            print(f"First admin account: name 'admin', password {password}")
    print(
        "demo district Prairie Valley USD 999: " + ", ".join(f"{v} {k}" for k, v in counts.items())
    )
    return 0
