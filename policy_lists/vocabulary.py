"""The fixed words of docs/design.md, and the default action table a district may change."""

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
ACTIVITIES = ("browse", "comment", "direct_message", "signup", "redirect")
# What an event may record besides: ``student_required``, an LMS assignment or announcement that
# links students to a social media platform (policy_lists.lms). Never a verdict's activity, so
# no list rule or action table names it.
EVENT_ACTIVITIES = (*ACTIVITIES, "student_required")
# The LMSs policy_lists/lms.py knows the routes of (settings.lms_hosts names them).
LMS_NAMES = ("canvas", "google_classroom", "schoology")
ACTIONS = ("allow", "notice", "warn", "block")
OUTCOMES = ("shown", "continued", "went_back", "blocked")
SOURCES = ("proxy", "extension")

# An external-link wrapper (t.co/..., l.facebook.com/l.php): following a link out of a platform
# is not using it, and the destination is judged when the browser arrives there. No action table
# can change these.
FIXED_ACTIONS = {"redirect": "allow"}

# (category, approved) -> activity -> action; anything not listed is "allow".
DEFAULT_ACTIONS: dict[str, dict[str, dict[str, str]]] = {
    "social_media": {
        "unapproved": {
            "browse": "warn",
            "comment": "warn",
            "direct_message": "warn",
            "signup": "warn",
            "redirect": "allow",
        },
        "approved": {
            "browse": "allow",
            "comment": "warn",
            "direct_message": "warn",
            "signup": "notice",
            "redirect": "allow",
        },
    },
    "direct_messaging": {
        "unapproved": {
            "browse": "notice",
            "comment": "notice",
            "direct_message": "notice",
            "signup": "notice",
            "redirect": "allow",
        },
    },
}
