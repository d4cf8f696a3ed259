"""Request data as the site may use it: every number, date, text and redirect target that
arrives in a request is read here, into a bounded value or a clear refusal, never a 500.

>>> safe_next("/log?user=a")
'/log?user=a'
>>> safe_next("/\\t/evil.example/"), safe_next("/\\\\evil.example"), safe_next("https://evil.example")
('/', '/', '/')
>>> int_arg("²", 1, 365), int_arg("9" * 5000, 1, 365), int_arg("90", 1, 365)
(None, None, 90)
>>> clean_text("a\\x00b\\ud800c")
('ab\\ufffdc', True)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Response, jsonify, render_template, request

_DIGITS = re.compile(r"-?[0-9]{1,9}\Z")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BROWSER_DROPS = re.compile("[\t\n\r]")
_LEADING_JUNK = re.compile("^[\x00-\x20]+")
FIRST_DAY, LAST_DAY = dt.date(1, 1, 1), dt.date(9998, 12, 31)  # a day after still exists


def int_arg(text: str | None, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits within [low, high], else None."""
    text = (text or "").strip()
    if not _DIGITS.match(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def day_arg(text: str | None) -> dt.datetime | None:
    """A date or date-time filter (naive UTC) within years the log can hold, else None."""
    if not text or len(text) > 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            return None
    return parsed if FIRST_DAY <= parsed.date() <= LAST_DAY else None


def clean_text(value: str) -> tuple[str, bool]:
    """Text a database can store: NUL removed, unpaired surrogates as U+FFFD; and whether
    anything had to change (the API says so to the sender)."""
    cleaned = _SURROGATE.sub("\ufffd", value.replace("\x00", ""))
    return cleaned, cleaned != value


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path on this site, judged as the browser will read it.

    Browsers drop tabs and newlines anywhere in a URL, skip leading spaces and controls, and
    read a backslash as a slash, so ``/\\t/evil.example`` and ``/\\\\evil.example`` are both
    ``//evil.example`` (another site) to them.
    """
    seen = _LEADING_JUNK.sub("", _BROWSER_DROPS.sub("", target or "")).replace("\\", "/")
    parts = urlsplit(seen)
    if not seen.startswith("/") or seen.startswith("//") or parts.scheme or parts.netloc:
        return "/"
    return seen


def json_body() -> Any:
    """The request's JSON, or None when it is not JSON a client should send (too deep,
    NaN/Infinity, numbers of thousands of digits, bad UTF-8)."""
    try:
        return json.loads(request.get_data(cache=True), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def refuse_unstorable() -> Response | tuple[Any, int] | None:
    """Before every request: a NUL in the path, the query or a form field is refused with
    a 400, once, here, instead of reaching a database that cannot store it."""
    values = [request.path, *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
        values += [f.filename or "" for f in request.files.values()]
    if not any("\x00" in value for value in values):
        return None
    message = "The request holds a NUL character, which no field accepts."
    if request.path.startswith("/api/"):
        return jsonify(error=message, index=None), 400
    return render_template("error.html", message=message), 400
