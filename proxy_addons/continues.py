"""Continuing past a warning, with no state on the proxy: the offer on the page, the pass cookie,
the choice posts, and the trip that makes one continue cover every domain of a platform.

The tokens and the trip are explained in ``pages``'s docstring. Everything under
``/.staffguard/`` is answered here, never passed to the platform: an answer that cannot be made
is a 403.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from mitmproxy import http

from policy_lists import Policy, Verdict, registrable_domain

from . import answers, flows, pages
from .spool import clean
from .training import TrainingStatus

log = logging.getLogger(__name__)

OFFER_SECONDS = 30 * 60
TRIP_SECONDS = 120
Record = Callable[[http.HTTPFlow, Verdict, str, str], None]
_HOST = re.compile(r"[a-z0-9.-]{1,253}", re.ASCII)
_EXPIRES = re.compile(r"[0-9]{1,12}", re.ASCII)


def site_of(host: str) -> str:
    """The registrable domain a pass cookie is set on (the host itself if it has none)."""
    return registrable_domain(host) or host


class Continues:
    def __init__(self, signer: pages.Signer, policy: Callable[[], Policy], record: Record):
        self.signer = signer
        self.policy = policy
        self.record = record
        self.training: TrainingStatus | None = None  # set when an admin site is the source
        self._homes: tuple[str, dict[str, str]] = ("", {})

    # --- passes ------------------------------------------------------------------------

    def pass_expiry(
        self, passes: dict[str, list[str]], client: str, platform_id: str, activity: str
    ) -> int | None:
        """When the first valid pass for this platform and activity expires; None: no pass."""
        for token in passes.get(pages.cookie_name(activity), [])[:8]:
            if self.signer.check("pass", token, client, platform_id, activity):
                return int(token.partition(".")[0])
        return None

    def home(self, platform_id: str) -> str | None:
        """The platform's home domain: its first listed one, where its passes are looked up."""
        policy = self.policy()
        if self._homes[0] != policy.version:
            homes = {p["id"]: _first_domain(p) for p in policy.compiled["platforms"]}
            self._homes = (policy.version, homes)
        return self._homes[1].get(platform_id)

    def trip_home(self, flow: http.HTTPFlow, verdict: Verdict) -> http.Response | None:
        """For a warned GET navigation with no pass, on a domain that is not the platform's
        home: a redirect to the home's check, which sees the home's pass. None: show the page."""
        req = flow.request
        home = self.home(verdict.platform_id or "")
        if req.method != "GET" or not home or site_of(home) == site_of(verdict.host):
            return None
        to = f"{_origin(req)}{flows.same_site_path(req.path)}"
        ticket = self._sign("ticket", flow, verdict.platform_id or "", to, verdict.activity)
        query = urllib.parse.urlencode({"to": to, "activity": verdict.activity, "t": ticket})
        return _redirect(f"{req.scheme}://{home}{pages.ACTION_PATH}check?{query}")

    def page(
        self, flow: http.HTTPFlow, verdict: Verdict, *, blocked: bool, to: str = ""
    ) -> http.Response:
        expires = int(time.time()) + OFFER_SECONDS
        offer = self.signer.sign(
            "offer", flows.client_of(flow), verdict.platform_id or "", verdict.activity, expires
        )
        return_path = flows.same_site_path(flow.request.path)
        body = pages.interstitial(
            verdict,
            offer=offer,
            return_path=return_path,
            settings=dict(self.policy().settings),
            blocked=blocked,
            to=to,
            training=self._training_step(flow, return_path, expires),
        )
        flow.metadata["staffguard_page"] = True
        return answers.page(403 if blocked else 200, body.encode("utf-8", "replace"))

    def _training_step(self, flow: http.HTTPFlow, return_path: str, expires: int) -> str:
        """The one-time acknowledgment step when this staff member owes one; "" otherwise,
        and whenever finding out fails (the page itself must come)."""
        if self.training is None:
            return ""
        user = (flows.user_of(flow) or "").strip().lower()
        if not user:
            return ""
        try:
            due = self.training.due(user)
            if due is None:
                return ""
            ack = self.signer.sign("ack", flows.client_of(flow), user, "training", expires)
            return pages.training_step(due.period, due.url, ack, return_path)
        except Exception:
            log.exception("staffguard: no training step for %s", user)
            return ""

    # --- /.staffguard/ -----------------------------------------------------------------

    def answer(self, flow: http.HTTPFlow, passes: dict[str, list[str]]) -> None:
        """Set ``flow.response`` for a request to the proxy's own path, or leave it None (the
        caller answers 403)."""
        req = flow.request
        choice = req.path[len(pages.ACTION_PATH) :].split("?")[0]
        platform = self.policy().platform_for_host(req.pretty_host.lower().rstrip("."))
        if platform is None:
            return
        if choice in ("continue", "back") and req.method == "POST":
            self._choice(flow, choice, platform.id)
        elif choice == "check" and req.method == "GET":
            self._check(flow, passes, platform.id)
        elif choice == "pass" and req.method == "GET":
            self._set_pass(flow, platform.id)

    async def acknowledge(self, flow: http.HTTPFlow) -> None:
        """The training step's button (``POST acknowledge``, awaited by the addon so the admin
        site's answer holds up no one else): record the acknowledgment and show the page again
        (now without the step). Only for the user and client the step was shown to; otherwise
        ``flow.response`` stays None (the caller answers 403). If the admin site cannot record
        it, the browser goes to the training page to do it there."""
        req = flow.request
        form = req.urlencoded_form
        user = (flows.user_of(flow) or "").strip().lower()
        client = flows.client_of(flow)
        if (
            self.training is None
            or not user
            or self.policy().platform_for_host(req.pretty_host.lower().rstrip(".")) is None
            or req.headers.get("sec-fetch-site", "same-origin") != "same-origin"
            or not self.signer.check("ack", form.get("ack"), client, user, "training")
        ):
            return
        back = f"{_origin(req)}{flows.same_site_path(form.get('return', '/'))}"
        if await self.training.acknowledge(user):
            flow.response = _redirect(back)
            return
        due = self.training.due(user)
        flow.response = _redirect(due.url if due else back)

    def _choice(self, flow: http.HTTPFlow, choice: str, platform_id: str) -> None:
        """A POST from the interstitial: continue (sets the pass) or go back (logs it)."""
        req = flow.request
        form = req.urlencoded_form
        activity = form.get("activity", "")
        client = flows.client_of(flow)
        if (
            req.headers.get("sec-fetch-site", "same-origin") != "same-origin"
            or activity not in pages.ACTIVITY_WORDS
            or not self.signer.check("offer", form.get("offer"), client, platform_id, activity)
        ):
            return
        to = self._platform_url(form.get("to", ""), platform_id) if form.get("to") else None
        url = to or f"{_origin(req)}{flows.same_site_path(form.get('return', '/'))}"
        verdict = self._continued(url, activity, flows.user_of(flow), client)
        blocked = verdict is not None and verdict.action == "block"
        if verdict is None or (blocked and choice == "continue"):
            return  # a block page offers Go back only
        justification = clean(form.get("justification", ""), 500)
        if choice == "back":
            nonce = secrets.token_urlsafe(12)
            flow.response = http.Response.make(
                200, pages.went_back_page(nonce).encode(), flows.page_headers(f"'nonce-{nonce}'")
            )
            if not blocked:  # leaving a block page is no choice: its event is "blocked"
                self.record(flow, verdict, "went_back", justification)
            return
        minutes = pages.continue_minutes(self.policy().settings)
        expires = int(time.time()) + minutes * 60
        flow.response = self._pass_response(flow, platform_id, activity, expires, url)
        self.record(flow, verdict, "continued", justification)

    def _check(self, flow: http.HTTPFlow, passes: dict[str, list[str]], platform_id: str) -> None:
        """At the home domain: is there a pass here for the site the browser came from?"""
        query = flow.request.query
        to = self._platform_url(query.get("to", ""), platform_id)
        activity = query.get("activity", "")
        if to is None or activity not in pages.ACTIVITY_WORDS:
            return
        if not self._valid("ticket", query.get("t"), flow, platform_id, to, activity):
            return
        expires = self.pass_expiry(passes, flows.client_of(flow), platform_id, activity)
        if expires is not None:
            flow.response = _redirect(self._pass_step(flow, platform_id, to, activity, expires))
            return
        user, client = flows.user_of(flow), flows.client_of(flow)
        verdict = self.policy().classify(to, "GET", user, client)
        if verdict.platform_id != platform_id or verdict.action != "warn":
            flow.response = _redirect(to)  # no warning due there (any more): the site decides
            return
        flow.response = self.page(flow, verdict, blocked=False, to=to)
        self.record(flow, verdict, "shown", "")

    def _set_pass(self, flow: http.HTTPFlow, platform_id: str) -> None:
        """Back at the site: the home had a pass until ``e``; set the same here and go on."""
        query = flow.request.query
        to = self._platform_url(query.get("to", ""), platform_id)
        activity, expires = query.get("activity", ""), query.get("e", "")
        if to is None or activity not in pages.ACTIVITY_WORDS or not _EXPIRES.fullmatch(expires):
            return
        if site_of(urllib.parse.urlsplit(to).hostname or "") != site_of(flow.request.pretty_host):
            return
        grant = query.get("g")
        if not self._valid("grant", grant, flow, platform_id, to, activity, int(expires)):
            return
        flow.response = self._pass_response(flow, platform_id, activity, int(expires), to)

    # --- helpers -----------------------------------------------------------------------

    def _pass_response(
        self, flow: http.HTTPFlow, platform_id: str, activity: str, expires: int, to: str
    ) -> http.Response:
        """Set the pass on this site and go to ``to``: directly when it is on this site, else
        through that site's ``pass`` step, which sets it there too."""
        req = flow.request
        site = site_of(req.pretty_host.lower().rstrip("."))
        token = self.signer.sign("pass", flows.client_of(flow), platform_id, activity, expires)
        seconds = max(0, expires - int(time.time()))
        secure = "; Secure" if req.scheme == "https" else ""
        location = to
        if site_of(urllib.parse.urlsplit(to).hostname or "") != site:
            location = self._pass_step(flow, platform_id, to, activity, expires)
        response = _redirect(location)
        response.headers["Set-Cookie"] = (
            f"{pages.cookie_name(activity)}={token}; Domain={site}; Path=/; "
            f"Max-Age={seconds}; HttpOnly; SameSite=Lax{secure}"
        )
        return response

    def _pass_step(
        self, flow: http.HTTPFlow, platform_id: str, to: str, activity: str, expires: int
    ) -> str:
        """The URL of the ``pass`` step on ``to``'s site, with a grant for a pass until
        ``expires`` (the pass this site has): that site then sets the same pass for itself."""
        grant = self._sign("grant", flow, platform_id, to, activity, expires)
        query = urllib.parse.urlencode({"to": to, "activity": activity, "e": expires, "g": grant})
        origin = to[: to.index("/", to.index("//") + 2)]
        return f"{origin}{pages.ACTION_PATH}pass?{query}"

    def _scope(self, platform_id: str, to: str, expires: int | None = None) -> str:
        digest = hashlib.sha256(to.encode("utf-8", "replace")).hexdigest()[:32]
        return f"{platform_id}:{digest}" + ("" if expires is None else f":{expires}")

    def _sign(
        self,
        kind: str,
        flow: http.HTTPFlow,
        platform_id: str,
        to: str,
        activity: str,
        expires: int | None = None,
    ) -> str:
        scope = self._scope(platform_id, to, expires)
        until = int(time.time()) + TRIP_SECONDS
        return self.signer.sign(kind, flows.client_of(flow), scope, activity, until)

    def _valid(
        self,
        kind: str,
        token: object,
        flow: http.HTTPFlow,
        platform_id: str,
        to: str,
        activity: str,
        expires: int | None = None,
    ) -> bool:
        scope = self._scope(platform_id, to, expires)
        return self.signer.check(kind, token, flows.client_of(flow), scope, activity)

    def _platform_url(self, text: object, platform_id: str) -> str | None:
        """``text`` as an http(s) URL on a domain of this platform, rebuilt from its parts so
        nothing else rides along; None for anything else (continue never leaves the platform)."""
        if not isinstance(text, str) or len(text) > 4096:
            return None
        try:
            parts = urllib.parse.urlsplit(text)
            port = parts.port
        except ValueError:
            return None
        host = (parts.hostname or "").rstrip(".")
        if parts.scheme not in ("http", "https") or parts.username or not _HOST.fullmatch(host):
            return None
        platform = self.policy().platform_for_host(host)
        if platform is None or platform.id != platform_id:
            return None
        path = flows.same_site_path(parts.path + (f"?{parts.query}" if parts.query else ""))
        return f"{parts.scheme}://{host}{f':{port}' if port else ''}{path}"

    def _continued(self, url: str, activity: str, user: str | None, client: str) -> Verdict | None:
        """The verdict an event about this choice describes: the activity the offer was for.

        The return URL is re-classified; if its activity is another (a tampered ``return=/`` on
        a DM offer, or a form-post navigation re-read as a GET), the offer's activity and that
        activity's verdict on the platform are recorded, because that is what the pass will
        cover. None when the platform no longer knows the activity."""
        verdict = self.policy().classify(url, "GET", user, client)
        if verdict.activity == activity:
            return verdict
        platform = self.policy().platforms.get(verdict.platform_id or "")
        if platform is None or activity not in platform.verdicts:
            return None
        action, reason, ref = platform.verdicts[activity]
        if verdict.exempt:
            action, reason, ref = verdict.action, verdict.reason, verdict.policy_ref
        return dataclasses.replace(
            verdict, activity=activity, action=action, reason=reason, policy_ref=ref
        )


def _origin(req: http.Request) -> str:
    port = "" if req.port in (80, 443) else f":{req.port}"
    return f"{req.scheme}://{req.pretty_host}{port}"


def _redirect(location: str) -> http.Response:
    return answers.redirect(location)


def _first_domain(platform: dict[str, Any]) -> str:
    """A compiled platform's first listed domain: inline, else its domains_file's first."""
    if platform["domains"]:
        return str(platform["domains"][0])
    return str(platform.get("domains_text", "")).partition("\n")[0]
