"""The StaffGuard mitmproxy addon: verdicts from the engine, shown at the moment they matter.

Every decision is ``policy_lists``'s; this module only decides *how* to show it: interstitial
for a top-level navigation, 403 or a response header for everything else, and a banner for a
notice. Any fault here lets the request through and logs it with the flow: StaffGuard never
breaks a staff member's browsing.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from mitmproxy import ctx, exceptions, http, tls

from policy_lists import Policy, PolicyError, Verdict, registrable_domain

from . import flows, pages
from .counts import UnclassifiedCounts
from .source import PolicySource
from .spool import Shipper, Spool, new_event

log = logging.getLogger(__name__)

PING_HOST = "staffguard.invalid"
OFFER_SECONDS = 30 * 60
RECORD_EVERY_SECONDS = 60.0
F = TypeVar("F", bound=Callable[..., None])


def fail_open(hook: F) -> F:
    """Run a hook; on any exception, log it with the flow and let the traffic pass unchanged."""

    @functools.wraps(hook)
    def guarded(self: StaffGuard, flow: Any) -> None:
        try:
            hook(self, flow)
        except Exception:
            where = getattr(getattr(flow, "request", None), "pretty_url", flow)
            log.exception("staffguard: %s failed for %s; letting it through", hook.__name__, where)
            if isinstance(flow, http.HTTPFlow):
                flow.metadata["staffguard_error"] = True

    return guarded  # type: ignore[return-value]


class StaffGuard:
    def __init__(self) -> None:
        self.source: PolicySource | None = None
        self.spool: Spool | None = None
        self.shipper: Shipper | None = None
        self.counts: UnclassifiedCounts | None = None
        self.signer = pages.Signer(b"")
        self.recent = flows.Recent(RECORD_EVERY_SECONDS)
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def load(self, loader: Any) -> None:
        loader.add_option(
            "staffguard_policy",
            Sequence[str],
            [],
            "StaffGuard policy: list files or directories layered on the shipped defaults, "
            "or the admin site's base URL (its /api/v1/policy is polled).",
        )
        loader.add_option(
            "staffguard_token",
            str,
            "",
            "Bearer token for the admin site (staffguard tokens create).",
        )
        loader.add_option(
            "staffguard_secret",
            str,
            "",
            "Key that signs 'continue' decisions; give every proxy behind one name the same "
            "value. Empty: a random key kept in the data directory.",
        )
        loader.add_option(
            "staffguard_data",
            str,
            "~/.staffguard-proxy",
            "Directory for the event spool, the last good policy and the secret.",
        )

    def configure(self, updated: set[str]) -> None:
        if not any(name.startswith("staffguard_") for name in updated) and self.source:
            return
        opts = ctx.options
        data = Path(opts.staffguard_data).expanduser()
        try:
            data.mkdir(parents=True, exist_ok=True)
            source = PolicySource(list(opts.staffguard_policy), data, opts.staffguard_token)
        except (OSError, ValueError, PolicyError) as error:
            raise exceptions.OptionsError(f"staffguard_policy: {error}") from error
        self._shutdown()
        self.source = source
        self.signer = pages.Signer(self._secret(data, opts.staffguard_secret))
        self.spool = Spool(data)
        worker = os.environ.get("STAFFGUARD_WORKER", "")  # --workers: each reports its own counts
        reporter = f"{socket.gethostname()}:{opts.listen_port or 8080}{worker and '/' + worker}"
        self.counts = UnclassifiedCounts(data, reporter)
        if source.url:
            self.shipper = Shipper(self.spool, source.url, opts.staffguard_token)
            self.shipper.start()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="staffguard-ticker", daemon=True)
        self._ticker.start()
        log.info("staffguard: policy version %s, data in %s", source.policy.version, data)

    @staticmethod
    def _secret(data: Path, option: str) -> bytes:
        if option:
            return option.encode()
        path = data / "secret"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    def _tick(self) -> None:
        """Background upkeep: re-read or poll the policy, save and report unclassified counts."""
        ticks = 0
        while not self._stop.wait(2.0):
            ticks += 1
            try:
                source = self.source
                if source and (not source.url or ticks % 15 == 0):
                    source.refresh()
                if self.counts and ticks % 30 == 0:
                    self.counts.save()
                    if source and source.url:
                        self.counts.report(source.url, source.token)
            except Exception:
                log.exception("staffguard: background upkeep failed")

    def _shutdown(self) -> None:
        self._stop.set()
        if self.shipper:
            self.shipper.stop()
        if self.counts:
            self.counts.save()
        if self.spool:
            self.spool.close()

    def done(self) -> None:
        self._shutdown()

    def _policy(self) -> Policy:
        assert self.source is not None, "configure() runs before any traffic"
        return self.source.policy

    # --- connections -------------------------------------------------------------------

    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        """Decrypt only hosts that need a decision; everything else passes through untouched."""
        try:
            host = data.client_hello.sni or (data.context.server.address or ("",))[0]
            if host and self._policy().needs_decision(host):
                return
            data.ignore_connection = True
            if host and self.counts and self._policy().platform_for_host(host.lower()) is None:
                self.counts.record(host)
        except Exception:
            log.exception("staffguard: tls_clienthello failed; passing the connection through")
            data.ignore_connection = True

    # --- requests ----------------------------------------------------------------------

    @fail_open
    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live or self.source is None:
            return
        req = flow.request
        if req.pretty_host == PING_HOST:
            return self._ping(flow)
        passes = flows.take_our_cookies(req)
        if req.path.startswith(pages.ACTION_PATH):
            return self._choice(flow)
        user, client = flows.user_of(flow), flows.client_of(flow)
        verdict = self._policy().classify(req.pretty_url, req.method, user, client, req.headers)
        if verdict.platform_id is None:
            if self.counts and not verdict.exempt:
                self.counts.record(verdict.host)
            return
        if verdict.action == "allow":
            return
        navigation = flows.is_navigation(req)
        site = registrable_domain(verdict.host) or verdict.host
        flow.metadata["staffguard"] = verdict
        if verdict.action == "warn" and navigation:
            token = passes.get(pages.cookie_name(verdict.activity))
            if token and self.signer.check("pass", token, client, site, verdict.activity):
                flow.metadata["staffguard_continued"] = True
                return
            self._record(flow, verdict, "shown")
            flow.response = self._page(flow, verdict, site, blocked=False)
        elif verdict.action == "block":
            if navigation or self._worth_recording(client, site, verdict):
                self._record(flow, verdict, "blocked")
            flow.response = (
                self._page(flow, verdict, site, blocked=True)
                if navigation
                else http.Response.make(403, b"Blocked by district policy", flows.marker(verdict))
            )
        elif navigation or self._worth_recording(client, site, verdict):
            self._record(flow, verdict, "shown")

    def _worth_recording(self, client: str, site: str, verdict: Verdict) -> bool:
        """Requests that are not navigations are recorded for an activity (a comment POST, a DM
        API call), at most once a minute per client and site: a DM inbox polls every few
        seconds, and the log is for people to read. Page assets (browse) are never recorded."""
        if verdict.activity == "browse":
            return False
        return self.recent.first(hash((client, site, verdict.activity)))  # a collision: harmless

    @fail_open
    def response(self, flow: http.HTTPFlow) -> None:
        verdict: Verdict | None = flow.metadata.get("staffguard")
        if verdict is None or flow.response is None or flow.metadata.get("staffguard_page"):
            return
        if verdict.action == "warn" and flow.metadata.get("staffguard_continued"):
            return
        flow.response.headers.update(flows.marker(verdict))
        if verdict.action == "notice" and flows.is_navigation(flow.request):
            flows.inject_banner(flow.response, verdict)

    # --- what the staff member sees and chooses ----------------------------------------

    def _page(
        self, flow: http.HTTPFlow, verdict: Verdict, site: str, *, blocked: bool
    ) -> http.Response:
        expires = int(time.time()) + OFFER_SECONDS
        offer = self.signer.sign("offer", flows.client_of(flow), site, verdict.activity, expires)
        body = pages.interstitial(
            verdict,
            offer=offer,
            return_path=flows.same_site_path(flow.request.path),
            settings=dict(self._policy().settings),
            blocked=blocked,
        )
        flow.metadata["staffguard_page"] = True
        return http.Response.make(
            403 if blocked else 200, body.encode(), flows.page_headers("'none'")
        )

    def _choice(self, flow: http.HTTPFlow) -> None:
        """A POST from the interstitial: continue (sets the pass) or go back (logs it)."""
        req = flow.request
        choice = req.path[len(pages.ACTION_PATH) :].split("?")[0]
        fetch_site = req.headers.get("sec-fetch-site", "same-origin")
        form = req.urlencoded_form if req.method == "POST" else None
        site = registrable_domain(req.pretty_host) or req.pretty_host
        activity = form.get("activity", "") if form else ""
        if (
            choice not in ("continue", "back")
            or form is None
            or fetch_site != "same-origin"
            or not self.signer.check(
                "offer", form.get("offer", ""), flows.client_of(flow), site, activity
            )
        ):
            flow.metadata["staffguard_page"] = True
            flow.response = http.Response.make(
                403, b"This choice has expired or did not come from a warning page.", {}
            )
            return
        path = flows.same_site_path(form.get("return", "/"))
        url = f"{req.scheme}://{req.pretty_host}{'' if req.port in (80, 443) else f':{req.port}'}"
        client = flows.client_of(flow)
        verdict = self._policy().classify(url + path, "GET", flows.user_of(flow), client)
        justification = form.get("justification", "")[:500]
        flow.metadata["staffguard_page"] = True
        if choice == "back":
            self._record(flow, verdict, "went_back", justification)
            nonce = secrets.token_urlsafe(12)
            flow.response = http.Response.make(
                200, pages.went_back_page(nonce).encode(), flows.page_headers(f"'nonce-{nonce}'")
            )
            return
        self._record(flow, verdict, "continued", justification)
        minutes = int(self._policy().settings.get("continue_minutes", 60))
        expires = int(time.time()) + minutes * 60
        token = self.signer.sign("pass", client, site, activity, expires)
        secure = "; Secure" if req.scheme == "https" else ""
        flow.response = http.Response.make(
            303,
            b"",
            {
                "Location": url + path,
                "Cache-Control": "no-store",
                "Set-Cookie": (
                    f"{pages.cookie_name(activity)}={token}; Domain={site}; Path=/; "
                    f"Max-Age={minutes * 60}; HttpOnly; SameSite=Lax{secure}"
                ),
            },
        )

    def _ping(self, flow: http.HTTPFlow) -> None:
        body = json.dumps({"staffguard": "proxy", "version": self._policy().version})
        flow.metadata["staffguard_page"] = True
        flow.response = http.Response.make(
            200,
            body.encode(),
            {
                "Content-Type": "application/json",
                "Access-Control-Allow-Origin": "*",
                "Cache-Control": "no-store",
            },
        )

    def _record(
        self, flow: http.HTTPFlow, verdict: Verdict, outcome: str, justification: str = ""
    ) -> None:
        if self.spool is None:
            return
        user, client = flows.user_of(flow), flows.client_of(flow)
        self.spool.append(new_event(verdict, outcome, user, client, justification))
        if self.shipper:
            self.shipper.wake.set()
