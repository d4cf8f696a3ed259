"""IIBGC: "No employee shall require a student to use a social media platform for any assignment
or extracurricular activity." The detection half: given a request that creates or edits an
assignment or announcement in Google Classroom, Canvas or Schoology, which social media
platforms do its text and attachments link to?

``required_platforms`` is a pure function of the policy and the request. It reads at most
``MAX_BODY`` bytes of the body (links with a scheme, ``www.`` links, and ``tiktok.com/@x``
written bare; never an email address or a platform merely named), returns platform ids and
names only (never the links or the text, so nothing of the assignment is kept), and never
raises on a malformed body: it then reads the body as plain text. Links to district
platforms, educational sites, email and anything the lists do not classify never count; link
wrappers (t.co, l.facebook.com) do not either, as their destination is unknown. The proxy and
the extension decide what to show.

Routes (each with the public source it comes from):

- Canvas, REST API under ``/api/v1``: ``POST courses/:course_id/assignments``,
  ``PUT courses/:course_id/assignments/:id``, ``POST courses/:course_id/discussion_topics``
  (announcements are discussion topics with ``is_announcement``) and
  ``PUT courses/:course_id/discussion_topics/:topic_id`` (instructure/canvas-lms,
  config/routes.rb, scopes ``assignments_api`` and ``discussion_topics_api``); the newer editor's
  GraphQL ``POST /api/graphql`` with operation ``CreateDiscussionTopic`` or
  ``UpdateDiscussionTopic`` (instructure/canvas-lms, the discussion editor's graphql Mutations).
  Canvas runs on ``*.instructure.com`` or a district's own host (``extra_hosts``).
- Google Classroom API (``classroom.googleapis.com``): ``POST/PATCH
  /v1/courses/{courseId}/courseWork[/{id}]``, ``.../announcements[/{id}]`` and
  ``.../courseWorkMaterials[/{id}]`` (APIs-guru/openapi-directory,
  SDKs/googleapis.com/classroom/v1/python/src/sdk/sdk.py). The Classroom web app sends every
  write through ``POST /u/{n}/_/ClassroomUi/data/batchexecute`` with opaque RPC ids (public
  client code calls it that way; the RPC for posting is not documented), so there any
  batchexecute write whose ``f.req`` carries a link counts as a post.
- Schoology REST API v1 (``api.schoology.com`` or a district's ``*.schoology.com``):
  ``POST /v1/sections/{section_id}/assignments`` and ``PUT .../assignments/{id}``
  (developers.schoology.com, REST API v1 "Assignment"; api-evangelist/schoology,
  collections/schoology-assignments-api.opencollection.json); updates (a course's
  announcements) ``POST /v1/{sections|groups}/{id}/updates`` and ``PUT .../updates/{id}``, and
  discussions ``POST /v1/{sections|groups}/{id}/discussions`` and ``PUT .../discussions/{id}``
  (KTibow/schoology-openapi, spec/paths/_index.yaml: the realm paths ``/{realm}/{realm_id}/updates``
  and ``/{realm}/{realm_id}/discussions``). Schoology's own web editor posts Drupal forms from
  pop-ups; no public code we could find names their paths (public scripts that drive it click
  through the pop-ups rather than post), so they are not covered: a district behind the proxy
  sees them as ordinary allowed traffic.

``LMS_HOSTS`` are the hosts these routes live on: the proxy decrypts those (and only those
that no list needs decrypted anyway) to read the bodies of these routes.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from .engine import Policy

MAX_BODY = 64 * 1024
MAX_LINKS = 100
MAX_LINK = 2048  # longer is no real link; a 64 KiB one would cost classify ~0.2 s
SENTENCE = (
    "No employee shall require a student to use a social media platform for any assignment "
    "or extracurricular activity."
)
COUNTED = frozenset({"social_media"})
_ID = r"[^/]+"


@dataclass(frozen=True)
class Route:
    lms: str
    kind: str  # assignment | announcement | discussion | post (Classroom's web app: any)
    hosts: tuple[str, ...]  # the host or its subdomains
    methods: frozenset[str]
    path: re.Pattern[str]
    operations: frozenset[str] = frozenset()  # GraphQL operation names, when the route has them


HOSTS = {
    "canvas": ("instructure.com",),
    "classroom_api": ("classroom.googleapis.com",),
    "classroom_web": ("classroom.google.com",),
    "schoology": ("schoology.com",),
}
GC = "google_classroom"
C = "/v1/courses/{id}"
SR = "/v1/(sections|groups)/{id}"  # a Schoology realm: a course section or a group
# (lms, hosts, kind, methods, path, GraphQL operations)
TABLE: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    ("canvas", "canvas", "assignment", "POST", "/api/v1/courses/{id}/assignments", ()),
    ("canvas", "canvas", "assignment", "PUT", "/api/v1/courses/{id}/assignments/{id}", ()),
    ("canvas", "canvas", "announcement", "POST", "/api/v1/courses/{id}/discussion_topics", ()),
    ("canvas", "canvas", "announcement", "PUT", "/api/v1/courses/{id}/discussion_topics/{id}", ()),
    (
        "canvas", "canvas", "announcement", "POST", "/api/graphql",
        ("CreateDiscussionTopic", "UpdateDiscussionTopic"),
    ),
    (GC, "classroom_api", "assignment", "POST", C + "/courseWork", ()),
    (GC, "classroom_api", "assignment", "PATCH", C + "/courseWork/{id}", ()),
    (GC, "classroom_api", "announcement", "POST", C + "/announcements", ()),
    (GC, "classroom_api", "announcement", "PATCH", C + "/announcements/{id}", ()),
    (GC, "classroom_api", "assignment", "POST", C + "/courseWorkMaterials", ()),
    (GC, "classroom_api", "assignment", "PATCH", C + "/courseWorkMaterials/{id}", ()),
    (GC, "classroom_web", "post", "POST", r"(/u/\d+)?/_/ClassroomUi/data/batchexecute", ()),
    ("schoology", "schoology", "assignment", "POST", "/v1/sections/{id}/assignments", ()),
    ("schoology", "schoology", "assignment", "PUT", "/v1/sections/{id}/assignments/{id}", ()),
    ("schoology", "schoology", "announcement", "POST", SR + "/updates", ()),
    ("schoology", "schoology", "announcement", "PUT", SR + "/updates/{id}", ()),
    ("schoology", "schoology", "discussion", "POST", SR + "/discussions", ()),
    ("schoology", "schoology", "discussion", "PUT", SR + "/discussions/{id}", ()),
)  # fmt: skip
LMS_HOSTS: tuple[str, ...] = tuple(sorted({host for hosts in HOSTS.values() for host in hosts}))
ACTIVITY = "student_required"  # the event's activity (docs/design.md), never a verdict's
ROUTES: tuple[Route, ...] = tuple(
    Route(
        lms,
        kind,
        HOSTS[hosts],
        frozenset(methods.split()),
        re.compile(path.replace("{id}", _ID) + "/?$"),
        frozenset(ops),
    )
    for lms, hosts, kind, methods, path, ops in TABLE
)


@dataclass(frozen=True)
class Finding:
    """Social media platforms an LMS assignment or announcement links to."""

    lms: str
    kind: str
    platforms: tuple[tuple[str, str, bool], ...]  # (platform id, name, board-approved)
    sentence: str = SENTENCE

    def to_dict(self) -> dict[str, Any]:
        return {
            "lms": self.lms,
            "kind": self.kind,
            "platforms": [{"id": i, "name": n, "approved": a} for i, n, a in self.platforms],
            "policy_ref": "IIBGC, Prohibitions Regarding Social Media Platforms",
            "sentence": self.sentence,
        }


def _host_in(host: str, hosts: Iterable[str]) -> bool:
    return any(host == h or host.endswith("." + h) for h in hosts)


def district_hosts(policy: Policy) -> Mapping[str, Iterable[str]]:
    """A district's own LMS host names (setting ``lms_hosts``, e.g. ``{"canvas":
    ["canvas.usd999.org"]}``), read as the LMS's own hosts are."""
    hosts = policy.settings.get("lms_hosts")
    return hosts if isinstance(hosts, Mapping) else {}


def is_lms_host(host: str, extra_hosts: Mapping[str, Iterable[str]] | None = None) -> bool:
    """Whether a route above lives on ``host``: the proxy decrypts these to read their bodies."""
    name = host.lower().rstrip(".")
    extra = [h for hosts in (extra_hosts or {}).values() for h in hosts]
    return _host_in(name, (*LMS_HOSTS, *extra))


def find_route(
    url: str, method: str, extra_hosts: Mapping[str, Iterable[str]] | None = None
) -> Route | None:
    """The LMS create/edit route this request is on (``extra_hosts``: a district's own LMS
    hosts by LMS, e.g. ``{"canvas": ["canvas.usd999.org"]}``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host, path, verb = (parts.hostname or "").lower().rstrip("."), parts.path, method.upper()
    for route in ROUTES:
        hosts = (*route.hosts, *((extra_hosts or {}).get(route.lms, ())))
        if verb in route.methods and _host_in(host, hosts) and route.path.match(path):
            return route
    return None


_LINK = re.compile(r"(?:https?://|\bwww\.)[^\s\"'<>\\()\[\]{}|^`]+", re.IGNORECASE)
# "tiktok.com/@lhs" written without a scheme; never part of an email address or a longer name.
_BARE = re.compile(
    r"(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:com|net|org|gg|tv|me|app|co|io|social)"
    r"(?![\w-])(?:/[^\s\"'<>\\()\[\]{}|^`]*)?",
    re.IGNORECASE,
)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
        if value[:1] in "[{":  # JSON inside a JSON string (batchexecute's f.req)
            try:
                inner = json.loads(value)
            except ValueError:
                inner = None
            yield from _strings(inner)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def linked_urls(body: bytes | str | None, content_type: str = "") -> list[str]:
    """The links in a bounded request body: JSON (any string field, HTML included), form
    fields and plain text; percent-escapes, JSON escapes and HTML entities undone."""
    if not body:
        return []
    raw = body[:MAX_BODY]
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    texts: list[str] = []
    if "form-urlencoded" in content_type or re.match(r"^[\w.\[\]-]+=", text):
        text = unquote_plus(text)
        texts.append(text)
        for _, _, value in (p.partition("=") for p in text.split("&")):
            texts.extend(_strings(value))
    else:
        try:
            texts.extend(list(_strings(json.loads(text))))
        except (ValueError, RecursionError):  # not JSON, or nested past Python's limit
            texts.append(text)
    found: dict[str, None] = {}
    for chunk in texts:
        chunk = html.unescape(chunk.replace("\\/", "/").replace("\\u002F", "/"))
        for match in (*_LINK.finditer(chunk), *_BARE.finditer(_LINK.sub(" ", chunk))):
            link = match.group(0)[:MAX_LINK].rstrip(".,;:!?")
            found.setdefault(link if "://" in link else "https://" + link)
            if len(found) >= MAX_LINKS:
                return list(found)
    return list(found)


def _operation(body: bytes | str | None) -> str | None:
    try:
        data = json.loads(body[:MAX_BODY] if body else "")
    except (ValueError, TypeError):
        return None
    first = data[0] if isinstance(data, list) and data else data
    name = first.get("operationName") if isinstance(first, Mapping) else None
    return name if isinstance(name, str) else None


def required_platforms(
    policy: Policy,
    url: str,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
    body: bytes | str | None = None,
    extra_hosts: Mapping[str, Iterable[str]] | None = None,
) -> Finding | None:
    """The social media platforms linked from an LMS assignment or announcement being created
    or edited by this request; None when it is not such a request or links to none.
    ``extra_hosts``: the district's own LMS hosts; by default the policy's ``lms_hosts``."""
    if extra_hosts is None:
        extra_hosts = district_hosts(policy)
    route = find_route(url, method, extra_hosts)
    if route is None:
        return None
    if route.operations and _operation(body) not in route.operations:
        return None
    lowered = {k.lower(): v for k, v in (headers or {}).items()} if headers else {}
    platforms: dict[str, tuple[str, str, bool]] = {}
    for link in linked_urls(body, str(lowered.get("content-type", ""))):
        verdict = policy.classify(link)
        if verdict.category in COUNTED and verdict.activity != "redirect" and verdict.platform_id:
            name = verdict.platform or verdict.platform_id
            platforms.setdefault(verdict.platform_id, (verdict.platform_id, name, verdict.approved))
    if not platforms:
        return None
    return Finding(route.lms, route.kind, tuple(sorted(platforms.values())))
