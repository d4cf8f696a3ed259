"""IIBGC's "No employee shall require a student to use a social media platform" in the proxy:
an LMS assignment or announcement being saved that links to a social media platform.

The detection is ``policy_lists.lms``'s; this module turns its finding into what the proxy
shows and logs. The LMS post is the teacher's work, so it always goes on: the notice is an
``X-StaffGuard`` marker on the LMS's answer (the extension shows the banner in the LMS tab) or,
for a form post that loads a page, a banner in that page, and one event per platform named
(activity ``student_required``, action ``notice``). Nothing of the assignment is kept: the
event names the platform, and its URL is the LMS route without its query.
"""

from __future__ import annotations

from mitmproxy import http

from policy_lists import Policy, Verdict
from policy_lists.lms import (
    ACTIVITY,
    Finding,
    district_hosts,
    find_route,
    is_lms_host,
    required_platforms,
)

from . import bodies, pages

BODY_BYTES = 64 * 1024


def may_save(req: http.Request, policy: Policy) -> bool:
    """A first, cheap look (no URL built): a write to an LMS host."""
    if req.method in ("GET", "HEAD", "OPTIONS"):
        return False
    return is_lms_host(req.pretty_host, district_hosts(policy))


def is_lms_save(req: http.Request, url: str, host: str, policy: Policy) -> bool:
    """Whether this request saves an LMS assignment or announcement (a route of
    ``policy_lists.lms``): the only requests whose body is read here."""
    if req.method in ("GET", "HEAD", "OPTIONS") or not is_lms_host(host, district_hosts(policy)):
        return False
    return find_route(url, req.method, district_hosts(policy)) is not None


def finding_for(req: http.Request, url: str, host: str, policy: Policy) -> Finding | None:
    """What this request's bounded body links to, for an LMS save only. A compressed body is
    decoded first, never past ``BODY_BYTES`` (``bodies``). Pure: the addon runs it on a
    thread."""
    if not is_lms_save(req, url, host, policy):
        return None  # nothing to read: no body is decoded for any other request
    body = bodies.request_body(req, BODY_BYTES)
    return required_platforms(policy, url, req.method, req.headers, body)


def verdicts(finding: Finding, url: str, host: str) -> list[Verdict]:
    """One notice per platform named: what the event log keeps (no link, no text)."""
    route = url.split("#", 1)[0].split("?", 1)[0]
    reason = pages.lms_notice(finding)
    ref = pages.TEXTS["student_required"]["policy_ref"]
    return [
        Verdict(
            url=route,
            host=host,
            platform_id=platform_id,
            platform=name,
            category="social_media",
            approved=approved,
            activity=ACTIVITY,
            action="notice",
            exempt=False,
            reason=reason,
            policy_ref=ref,
        )
        for platform_id, name, approved in finding.platforms
    ]


def marker(finding: Finding) -> dict[str, str]:
    """The ``X-StaffGuard`` header for the LMS's answer: the extension reads the kind and the
    platform ids (extension/lib/decide.js ``parseMarker``) to word the same notice."""
    ids = ",".join(platform_id for platform_id, _, _ in finding.platforms)
    ref = str(pages.TEXTS["student_required"]["policy_ref"]).replace(";", ",")
    return {
        "X-StaffGuard": (
            f"action=notice; activity={ACTIVITY}; kind={finding.kind}; platforms={ids}; ref={ref}"
        )
    }
