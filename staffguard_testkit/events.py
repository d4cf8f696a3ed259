"""Events as the proxy and the extension send them to ``POST /api/v1/events``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any


def event(**overrides: Any) -> dict[str, Any]:
    """A complete, valid event (a warned TikTok direct message), with ``overrides`` applied.
    ``ts="now"`` stamps the current time."""
    base: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "ts": "2026-11-20T14:03:00Z",
        "source": "proxy",
        "user": "jdoe@usd999.org",
        "client": "10.1.2.3",
        "url": "https://www.tiktok.com/messages?u=secret",
        "host": "www.tiktok.com",
        "platform_id": "tiktok",
        "category": "social_media",
        "activity": "direct_message",
        "action": "warn",
        "outcome": "shown",
        "justification": "",
        "reason": "Direct messages on TikTok are private communication.",
        "policy_ref": "IIBGC (4/26), Prohibitions Regarding Social Media Platforms",
    }
    base.update(overrides)
    if base["ts"] == "now":
        base["ts"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return base


def numbered(n: int) -> dict[str, Any]:
    """A minimal spooled event: an id and a number to check order by (the spool does not look
    inside events)."""
    return {"id": str(uuid.uuid4()), "n": n}
