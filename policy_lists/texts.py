"""What a verdict tells the staff member: one sentence, and the IIBGC section it rests on.

The texts are compiled into the policy document, so the proxy, the admin site and the
extension all show the same words.
"""

from __future__ import annotations

REF_USES = "IIBGC (4/26), Uses of Social Media Platforms"
REF_PROHIBITIONS = "IIBGC (4/26), Prohibitions Regarding Social Media Platforms"
REF_PERMISSION = "IIBGC (4/26), steps 1-3: permission before setting up or using a platform"
REF_OTHER = "IIBGC (4/26), Other Online Platforms"
REF_DEFINITIONS = "IIBGC (4/26), Definitions"
REF_VIRTUAL = "IIBGC (4/26), Prohibitions Regarding Social Media Platforms: virtual schools"

EXEMPT_REASON = (
    "{exemption} is exempt: a virtual school is not bound by IIBGC's approved-only and "
    "limited-communication provisions."
)
UNCLASSIFIED_REASON = "No StaffGuard list classifies this site."

_SOCIAL = {
    "browse": (
        "{platform} is not a board-approved social media platform; district work may use only "
        "board-approved platforms, for one-way public posts.",
        REF_USES,
    ),
    "comment": (
        "Comment conversations on {platform} are two-way interaction, which IIBGC does not "
        "allow with students on any social media platform.",
        REF_USES,
    ),
    "direct_message": (
        "Direct messages on {platform} are private communication; no employee may privately or "
        "directly communicate with a student through a social media platform.",
        REF_PROHIBITIONS,
    ),
    "signup": (
        "Setting up {platform} for district work needs the superintendent's permission first; "
        "request it with the permission form.",
        REF_PERMISSION,
    ),
}
_APPROVED_BROWSE = (
    "{platform} is board-approved for one-way public posts about school programs and events.",
    REF_USES,
)
_MESSAGING = (
    "{platform} is a direct messaging service; reach students through district email, the "
    "LMS or a board-approved messaging platform instead.",
    REF_OTHER,
)
_ALLOWED = {
    "district_platform": (
        "{platform} is a district platform for communicating with students and parents.",
        REF_OTHER,
    ),
    "email": ("{platform} is email, which IIBGC allows.", REF_OTHER),
    "educational": (
        "{platform} is an educational site, not a social media platform under IIBGC.",
        REF_DEFINITIONS,
    ),
    "content_service": (
        "{platform} is a content service, not a social media platform under IIBGC.",
        REF_DEFINITIONS,
    ),
    "unclassified": ("{platform} is not classified by the district's lists.", REF_DEFINITIONS),
}


_REDIRECT = (
    "A link leaving {platform}; where it leads is judged on arrival.",
    REF_DEFINITIONS,
)

_FLAGGED_BROWSE = (
    "The district's settings flag {platform}; use it only as district policy allows.",
    REF_USES,
)


def reason_for(
    name: str, category: str, approved: bool, activity: str, action: str
) -> tuple[str, str]:
    """The sentence and policy reference for this platform, category, activity and action.

    A district may raise the action for a category the policy allows (say, warn on YouTube
    comments while YouTube counts as a content service); the sentence then names the activity.
    """
    if activity == "redirect":
        text, ref = _REDIRECT
    elif action != "allow" and category not in ("social_media", "direct_messaging"):
        text, ref = _FLAGGED_BROWSE if activity == "browse" else _SOCIAL[activity]
    elif category == "social_media":
        text, ref = _APPROVED_BROWSE if approved and activity == "browse" else _SOCIAL[activity]
    elif category == "direct_messaging":
        text, ref = _MESSAGING
    else:
        text, ref = _ALLOWED[category]
    return text.format(platform=name), ref
