"""Hourly counts grouped into the district's days: daylight saving time, half-hour zones and
the calendar's ends (the pages' agreement on them is in test_report.py)."""

from __future__ import annotations

import datetime as dt

from admin_web.rollups import hour_key, local_day, shifted_day_start, span

CHICAGO, KOLKATA = "America/Chicago", "Asia/Kolkata"


def test_a_chicago_day_is_its_own_utc_hours_through_daylight_saving_time():
    assert span(dt.date(2026, 11, 30), dt.date(2026, 11, 30), CHICAGO) == (
        dt.datetime(2026, 11, 30, 6),
        dt.datetime(2026, 12, 1, 6),
    )
    spring = span(dt.date(2026, 3, 8), dt.date(2026, 3, 8), CHICAGO)  # clocks go forward
    autumn = span(dt.date(2026, 11, 1), dt.date(2026, 11, 1), CHICAGO)  # and back
    assert spring[1] - spring[0] == dt.timedelta(hours=23)
    assert autumn[1] - autumn[0] == dt.timedelta(hours=25)
    assert local_day("2026-11-30 05", CHICAGO) == "2026-11-29"  # 23:00 CST
    assert local_day("2026-11-30 06", CHICAGO) == "2026-11-30"
    assert local_day("2026-07-01 05", CHICAGO) == "2026-07-01"  # 00:00 CDT
    assert shifted_day_start(CHICAGO, dt.datetime(2026, 11, 30)) is None


def test_a_half_hour_zone_counts_from_the_first_whole_utc_hour_and_says_so():
    assert span(dt.date(2026, 11, 30), dt.date(2026, 11, 30), KOLKATA) == (
        dt.datetime(2026, 11, 29, 19),  # 00:30 in Kolkata
        dt.datetime(2026, 11, 30, 19),
    )
    assert local_day("2026-11-29 18", KOLKATA) == "2026-11-29"  # begins 23:30
    assert local_day("2026-11-29 19", KOLKATA) == "2026-11-30"
    assert shifted_day_start(KOLKATA, dt.datetime(2026, 11, 30)) == "00:30"
    assert shifted_day_start("America/St_Johns", dt.datetime(2026, 11, 30)) == "00:30"
    assert shifted_day_start("Asia/Kathmandu", dt.datetime(2026, 11, 30)) == "00:45"


def test_the_calendars_ends_clamp_instead_of_failing():
    first, last = span(dt.date(1, 1, 1), dt.date(9999, 12, 31), "Asia/Tokyo")
    assert hour_key(first) == "0001-01-01 00" and hour_key(last) == "9999-12-31 23"
    assert hour_key(dt.datetime(999, 5, 1, 7)) == "0999-05-01 07"  # padded as the database does


def test_repeat_users_count_exactly_the_district_days(app):
    """Users' whole UTC days come from their daily counts, the hours at both ends of a range
    from the log: around Chicago's midnight, each day counts its own warnings."""
    from admin_web.api import store_events
    from admin_web.db import get_db
    from admin_web.rollups import repeat_users

    def warned(user: str, utc: dt.datetime, n: int) -> list[dict]:
        return [event(user, utc + dt.timedelta(minutes=i)) for i in range(n)]

    day = dt.date(2026, 11, 20)  # CST: the day is 06:00 UTC on the 20th to 06:00 on the 21st
    rows = (
        warned("early@usd999.org", dt.datetime(2026, 11, 20, 4), 3)  # the 19th in Chicago
        + warned("late@usd999.org", dt.datetime(2026, 11, 21, 5), 4)  # 23:00 on the 20th
        + warned("noon@usd999.org", dt.datetime(2026, 11, 20, 18), 5)
        + warned("next@usd999.org", dt.datetime(2026, 11, 21, 6, 30), 2)  # the 21st
    )
    with app.app_context():
        db = get_db()
        store_events(db, rows)
        assert repeat_users(db, day, day, CHICAGO, least=1) == [
            ("noon@usd999.org", 5),
            ("late@usd999.org", 4),
        ]
        both = repeat_users(db, day, day + dt.timedelta(days=1), CHICAGO, least=1)
        assert dict(both) == {"noon@usd999.org": 5, "late@usd999.org": 4, "next@usd999.org": 2}
        assert dict(repeat_users(db, day, day, "UTC", least=1)) == {
            "early@usd999.org": 3,
            "noon@usd999.org": 5,
        }


def event(user: str, utc: dt.datetime) -> dict:
    import uuid

    return {
        "id": str(uuid.uuid4()),
        "ts": utc,
        "source": "proxy",
        "user": user,
        "client": "10.1.2.3",
        "url": "https://www.tiktok.com/",
        "host": "www.tiktok.com",
        "platform_id": "tiktok",
        "category": "social_media",
        "activity": "browse",
        "action": "warn",
        "outcome": "shown",
        "justification": "",
        "reason": "",
        "policy_ref": "",
    }
