"""The fixed words of DESIGN.md, and the default action table a district may change."""

from __future__ import annotations

CATEGORIES = (
    "social_media",
    "district_platform",
    "educational",
    "email",
    "direct_messaging",
    "content_service",
    "unclassified",
)
ACTIVITIES = ("browse", "comment", "direct_message", "signup")
ACTIONS = ("allow", "notice", "warn", "block")
OUTCOMES = ("shown", "continued", "went_back", "blocked")
SOURCES = ("proxy", "extension")

# (category, approved) -> activity -> action; anything not listed is "allow".
DEFAULT_ACTIONS: dict[str, dict[str, dict[str, str]]] = {
    "social_media": {
        "unapproved": {
            "browse": "warn",
            "comment": "warn",
            "direct_message": "warn",
            "signup": "warn",
        },
        "approved": {
            "browse": "allow",
            "comment": "warn",
            "direct_message": "warn",
            "signup": "notice",
        },
    },
    "direct_messaging": {
        "unapproved": {
            "browse": "notice",
            "comment": "notice",
            "direct_message": "notice",
            "signup": "notice",
        },
    },
}
