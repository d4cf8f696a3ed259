"""Times as the district reads them: one format, in the district's own time zone.

The database keeps naive UTC (``models.utcnow``); every page shows a time through the ``when``
filter (``2026-11-29 20:59 CST``) or a date through ``day``, in the ``time_zone`` setting (an
IANA name; UTC until the district sets one). A filter's dates are the district's days too.

>>> when(dt.datetime(2026, 11, 30, 2, 59, 15, 361598), "America/Chicago")
'2026-11-29 20:59 CST'
>>> day_start(dt.date(2026, 11, 30), "America/Chicago")
datetime.datetime(2026, 11, 30, 6, 0)
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import g, has_app_context

FORMAT = "%Y-%m-%d %H:%M %Z"
DAY_FORMAT = "%Y-%m-%d"


@cache
def zone(name: str | None) -> ZoneInfo:
    """The named zone; UTC (and a loud log line) for a name this machine does not know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        logging.getLogger("staffguard.admin").error("unknown time zone %r; showing UTC", name)
        return ZoneInfo("UTC")


@cache
def zone_names() -> list[str]:
    """Every zone name this machine knows, for the settings form's suggestions."""
    return sorted(available_timezones())


def district_zone() -> str:
    """The ``time_zone`` setting of the policy in force (read once per request)."""
    if not has_app_context():
        return "UTC"
    if "time_zone" not in g:
        from .db import get_db
        from .versions import current_policy

        g.time_zone = current_policy(get_db()).settings.get("time_zone") or "UTC"
    return str(g.time_zone)


def local(moment: dt.datetime, name: str | None = None) -> dt.datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone(name or district_zone()))


def when(moment: dt.datetime | None, name: str | None = None) -> str:
    """A stored time in the district's zone and the site's one format ('' for none)."""
    return local(moment, name).strftime(FORMAT) if moment else ""


def day(moment: dt.datetime | dt.date | None, name: str | None = None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        moment = local(moment, name)
    return moment.strftime(DAY_FORMAT)


def day_start(date: dt.date, name: str | None = None) -> dt.datetime:
    """The naive UTC time a district's calendar day begins, for querying stored times."""
    start = dt.datetime.combine(date, dt.time(), tzinfo=zone(name or district_zone()))
    return start.astimezone(dt.UTC).replace(tzinfo=None)
