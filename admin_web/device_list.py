"""The enrolled devices on the Accounts and tokens page, a page at a time.

A district rolls out about a thousand devices, so the table shows ``PAGE`` of them, by user
and then in the order they enrolled, and finds a colleague's devices by part of their email.
Pages are keyset pages (after the last row's user and id), as in the warning log: page 20
costs what page 1 does, and a device revoked meanwhile does not shift the next page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from .db import get_db
from .models import Token

PAGE = 50
SEARCH_LIMIT = 200  # as long as a token's user can be


@dataclass
class DevicePage:
    rows: list[Token]
    total: int  # devices matching the search, on every page
    search: str  # part of a user's email, "" for everyone
    next_after: str | None  # the ``device_after`` of the next page; None on the last


def device_page(args: Any) -> DevicePage:
    """The page that ``device_user`` (search) and ``device_after`` (keyset) in ``args`` ask
    for; an ``after`` that does not parse starts from the first page."""
    search = str(args.get("device_user", "")).strip()[:SEARCH_LIMIT]
    db = get_db()
    query = _matching(search)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    user, _, last_id = str(args.get("device_after", "")).rpartition("|")
    if last_id.isdigit():
        after = or_(Token.user > user, and_(Token.user == user, Token.id > int(last_id)))
        query = query.where(after)
    rows = list(db.scalars(query.order_by(Token.user, Token.id).limit(PAGE + 1)))
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    next_after = f"{rows[-1].user}|{rows[-1].id}" if more else None
    return DevicePage(rows, total, search, next_after)


def _matching(search: str) -> Select[Token]:
    query = select(Token).where(Token.device.is_not(None))
    if search:
        query = query.where(func.lower(Token.user).contains(search.lower(), autoescape=True))
    return query
