"""The StaffGuard mitmproxy addon: verdicts from the engine, shown at the moment they matter.

Every decision is ``policy_lists``'s; this module only decides *how* to show it: interstitial
for a top-level navigation, 403 or a response header for everything else, and a banner for a
notice.

Two kinds of failure, treated oppositely. A fault in StaffGuard itself before the verdict is
known lets the request through and logs it loudly (StaffGuard never breaks a staff member's
browsing). Once a navigation is known to be warned or blocked, nothing stops its page: not a
malformed cookie or form, not a disk that refuses the log (the event is held and retried), and
not a failure to draw the page (a static page is shown instead). The continue and go-back posts
are always answered by the proxy, never passed to the platform.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
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
from .recorder import Recorder, report_status
from .source import PolicySource
from .spool import Shipper, Spool, clean, new_event

log = logging.getLogger(__name__)

PING_HOST = "staffguard.invalid"
OFFER_SECONDS = 30 * 60
RECORD_EVERY_SECONDS = 60.0
TICK_SECONDS = 2.0
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
        self.recorder: Recorder | None = None
        self.shipper: Shipper | None = None
        self.counts: UnclassifiedCounts | None = None
        self.signer = pages.Signer(b"")
        self.recent = flows.Recent(RECORD_EVERY_SECONDS)
        self.reporter = ""
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._running = False

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
        except OSError as error:
            # Warning, not error: mitmdump exits on any error logged while it starts, and a
            # proxy that does not start leaves every device unwarned (the PAC falls back to DIRECT).
            log.warning("staffguard: data directory unusable (%s); events held in memory", error)
        try:
            source = PolicySource(list(opts.staffguard_policy), data, opts.staffguard_token)
        except (OSError, ValueError, PolicyError) as error:
            raise exceptions.OptionsError(f"staffguard_policy: {error}") from error
        self._shutdown()
        self.source = source
        self.signer = pages.Signer(self._secret(data, opts.staffguard_secret))
        self.spool = Spool(data)
        self.recorder = Recorder(self.spool)
        self.reporter = f"{socket.gethostname()}:{opts.listen_port or 8080}"
        self.counts = UnclassifiedCounts(data, self.reporter)
        self.shipper = None
        if source.url:
            self.shipper = Shipper(self.spool, source.url, opts.staffguard_token)
        if self._running:
            self._start()
        log.info("staffguard: policy version %s, data in %s", source.policy.version, data)

    def running(self) -> None:
        """Threads start once mitmdump runs: what they log can no longer stop it starting."""
        self._running = True
        self._start()

    def _start(self) -> None:
        if self.shipper:
            self.shipper.start()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="staffguard-ticker", daemon=True)
        self._ticker.start()

    @staticmethod
    def _secret(data: Path, option: str) -> bytes:
        if option:
            return option.encode()
        path = data / "secret"
        try:
            if not path.exists() or len(path.read_text().strip()) < 32:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(secrets.token_hex(32))
                tmp.chmod(0o600)
                tmp.replace(path)
            return path.read_text().strip().encode()
        except OSError as error:
            log.warning(
                "staffguard: cannot keep the continue key in %s (%s); continues last until "
                "this proxy restarts and are not shared with others",
                data,
                error,
            )
            return secrets.token_hex(32).encode()

    def _tick(self) -> None:
        """Background upkeep: re-read or poll the policy, write held events, save and report
        the unclassified counts and the proxy's health. One failing job does not stop the rest."""
        ticks = 0
        while not self._stop.wait(TICK_SECONDS):
            ticks += 1
            source, every_minute = self.source, ticks % 30 == 0
            jobs: list[tuple[str, Callable[[], object]]] = []
            if source and (not source.url or ticks % 15 == 0):
                jobs.append(("policy refresh", source.refresh))
            if self.recorder:
                jobs.append(("held events", self.recorder.retry))
            if self.counts and every_minute:
                jobs.append(("unclassified counts", self._report_counts))
            if source and source.url and every_minute:
                jobs.append(("health report", self._report_status))
            for name, job in jobs:
                try:
                    job()
                except Exception:
                    log.exception("staffguard: background upkeep (%s) failed", name)

    def _report_counts(self) -> None:
        assert self.counts is not None
        try:
            self.counts.save()
        except OSError as error:
            log.warning("staffguard: unclassified counts not saved (%s)", error)
        if self.source and self.source.url:
            self.counts.report(self.source.url, self.source.token)

    def _report_status(self) -> None:
        if self.source and self.source.url and self.recorder:
            status = self.recorder.status(self.reporter, self.source.policy.version)
            report_status(self.source.url, self.source.token, status)

    def _shutdown(self) -> None:
        self._stop.set()
        if self.shipper:
            self.shipper.stop()
        if self.recorder:
            self.recorder.retry()
        if self.counts:
            try:
                self.counts.save()
            except OSError as error:
                log.warning("staffguard: unclassified counts not saved (%s)", error)
        if self.spool:
            self.spool.close()

    def done(self) -> None:
        self._shutdown()

    def _policy(self) -> Policy:
        assert self.source is not None, "configure() runs before any traffic"
        return self.source.policy

    # --- connections -------------------------------------------------------------------

    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        """Decrypt only connections that need a decision; everything else passes through.

        Both names the client gave count: the SNI and the CONNECT host (``server.address``).
        A tool can send an innocent SNI inside a CONNECT to a platform (or the reverse); if
        either name needs a decision, the connection is decrypted, and the request hook then
        refuses a request whose names disagree. With neither (an IP address and no SNI) there
        is no name to decide on: that passes, as it would DIRECT (see docs/proxy.md)."""
        try:
            sni = data.client_hello.sni or ""
            address = data.context.server.address
            target = str(address[0]) if address else ""
            names = [name for name in (sni, target) if name]
            if any(self._policy().needs_decision(name) for name in names):
                return
            data.ignore_connection = True
            host = sni or target
            if host and self.counts and self._policy().platform_for_host(host.lower()) is None:
                self.counts.record(host)
        except Exception:
            log.exception("staffguard: tls_clienthello failed; passing the connection through")
            data.ignore_connection = True

    # --- requests ----------------------------------------------------------------------

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live or self.source is None:
            return
        try:
            self._request(flow)
        except Exception:
            self._fault(flow)

    def _fault(self, flow: http.HTTPFlow) -> None:
        """A fault in StaffGuard itself. Before a page is due the request passes, logged loudly;
        once a navigation is known to need a page, the static page is shown instead."""
        where = flow.request.pretty_url
        due = flow.metadata.get("staffguard_due")
        if due is None:
            log.exception("staffguard: request failed for %s; letting it through", where)
            flow.metadata["staffguard_error"] = True
            return
        log.exception("staffguard: request failed for %s; showing the static page", where)
        flow.response = self._static_page(flow, blocked=bool(due))

    def _request(self, flow: http.HTTPFlow) -> None:
        req = flow.request
        if req.pretty_host == PING_HOST:
            return self._ping(flow)
        passes = self._take_passes(req)
        if req.path.startswith(pages.ACTION_PATH):
            return self._answer_choice(flow)
        policy = self._policy()
        names = flows.stated_names(flow)
        if len(names) > 1 and any(policy.needs_decision(name) for name in names):
            return self._misdirected(flow, names)
        user, client = flows.user_of(flow), flows.client_of(flow)
        verdict = policy.classify(flows.url_of(req), req.method, user, client, req.headers)
        if verdict.platform_id is None and len(names) == 1:
            # A URL the engine could not read, on a platform's host: that host's verdict, so
            # no odd byte in a request can switch its warning off.
            (name,) = names
            if policy.platform_for_host(name) is not None:
                verdict = policy.classify(f"{req.scheme}://{name}/", req.method, user, client)
        if verdict.platform_id is None:
            if self.counts and not verdict.exempt:
                self.counts.record(verdict.host)
            return
        if verdict.action == "allow":
            return
        navigation = flows.is_navigation(req)
        flow.metadata["staffguard"] = verdict
        if navigation and verdict.action in ("warn", "block"):
            return self._show(flow, verdict, passes)
        site = registrable_domain(verdict.host) or verdict.host
        if verdict.action == "block":
            flow.metadata["staffguard_page"] = True
            flow.response = http.Response.make(
                403, b"Blocked by district policy", flows.marker(verdict)
            )
            if self._worth_recording(client, site, verdict):
                self._record(flow, verdict, "blocked")
        elif navigation or self._worth_recording(client, site, verdict):
            self._record(flow, verdict, "shown")

    def _take_passes(self, req: http.Request) -> dict[str, list[str]]:
        """StaffGuard's cookies, removed from the request. If reading them fails, every cookie
        field that mentions them is dropped and no pass counts: the site still never sees them,
        and a warning is shown rather than skipped."""
        try:
            return flows.take_our_cookies(req)
        except Exception:
            log.exception("staffguard: cookies unreadable for %s; dropped", req.pretty_url)
            kept = [f for f in req.headers.get_all("cookie") if pages.COOKIE_PREFIX not in f]
            req.headers.set_all("cookie", kept)
            return {}

    def _show(self, flow: http.HTTPFlow, verdict: Verdict, passes: dict[str, list[str]]) -> None:
        """The page of a warned or blocked navigation; from here on one is shown, whatever."""
        blocked = verdict.action == "block"
        flow.metadata["staffguard_due"] = blocked
        client = flows.client_of(flow)
        site = registrable_domain(verdict.host) or verdict.host
        if not blocked and self._has_pass(passes, client, site, verdict.activity):
            del flow.metadata["staffguard_due"]
            flow.metadata["staffguard_continued"] = True
            return
        try:
            flow.response = self._page(flow, verdict, site, blocked=blocked)
        except Exception:
            log.exception("staffguard: page for %s failed; showing the static page", verdict.url)
            flow.response = self._static_page(flow, blocked=blocked)
        self._record(flow, verdict, "blocked" if blocked else "shown")

    def _has_pass(
        self, passes: dict[str, list[str]], client: str, site: str, activity: str
    ) -> bool:
        tokens = passes.get(pages.cookie_name(activity), [])[:8]
        return any(self.signer.check("pass", t, client, site, activity) for t in tokens)

    @staticmethod
    def _static_page(flow: http.HTTPFlow, *, blocked: bool) -> http.Response:
        flow.metadata["staffguard_page"] = True
        return http.Response.make(
            403 if blocked else 200, pages.fallback(blocked), flows.page_headers("'none'")
        )

    def _misdirected(self, flow: http.HTTPFlow, names: set[str]) -> None:
        """421 for a request whose names disagree (SNI, CONNECT host, absolute URL, Host): no
        one can say which site would answer it. Browsers never send one; if a reused HTTP/2
        connection ever did, 421 is the status that makes them retry on a connection of its own."""
        log.warning("staffguard: refused a request naming %r at once", sorted(names))
        flow.metadata["staffguard_page"] = True
        flow.response = http.Response.make(
            421,
            b"Misdirected request: its host names disagree.",
            {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"},
        )

    def _worth_recording(self, client: str, site: str, verdict: Verdict) -> bool:
        """Requests that are not navigations are recorded for an activity (a comment POST, a DM
        API call), at most once a minute per client and site: a DM inbox polls every few
        seconds, and the log is for people to read. Page assets (browse) are never recorded."""
        if verdict.activity == "browse":
            return False
        return self.recent.first(hash((client, site, verdict.activity)))  # a collision: harmless

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        self._drop_our_set_cookies(flow)  # here too: a streamed response has no later chance

    def response(self, flow: http.HTTPFlow) -> None:
        self._drop_our_set_cookies(flow)
        self._mark(flow)

    def _drop_our_set_cookies(self, flow: http.HTTPFlow) -> None:
        """No response but the proxy's own may set StaffGuard's cookies (see flows)."""
        if flow.response is None or flow.metadata.get("staffguard_page"):
            return
        try:
            if flows.drop_our_set_cookies(flow.response):
                log.warning("staffguard: %s tried to set a StaffGuard cookie", flow.request.host)
        except Exception:
            log.exception("staffguard: Set-Cookie unreadable; all dropped")
            flow.response.headers.pop("set-cookie", None)

    @fail_open
    def _mark(self, flow: http.HTTPFlow) -> None:
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
            403 if blocked else 200,
            body.encode("utf-8", "replace"),
            flows.page_headers("'none'"),
        )

    def _answer_choice(self, flow: http.HTTPFlow) -> None:
        """The proxy answers every request to its own path: never the platform, whatever fails."""
        flow.metadata["staffguard_page"] = True
        try:
            self._choice(flow)
        except Exception:
            log.exception("staffguard: choice for %s failed; refused", flow.request.pretty_host)
            flow.response = None
        if flow.response is None:
            flow.response = http.Response.make(
                403, b"This choice has expired or did not come from a warning page.", {}
            )

    def _choice(self, flow: http.HTTPFlow) -> None:
        """A POST from the interstitial: continue (sets the pass) or go back (logs it)."""
        req = flow.request
        choice = req.path[len(pages.ACTION_PATH) :].split("?")[0]
        if choice not in ("continue", "back") or req.method != "POST":
            return
        form = req.urlencoded_form
        site = registrable_domain(req.pretty_host) or req.pretty_host
        activity = form.get("activity", "")
        client = flows.client_of(flow)
        if (
            req.headers.get("sec-fetch-site", "same-origin") != "same-origin"
            or activity not in pages.ACTIVITY_WORDS
            or not self.signer.check("offer", form.get("offer"), client, site, activity)
        ):
            return
        path = flows.same_site_path(form.get("return", "/"))
        url = f"{req.scheme}://{req.pretty_host}{'' if req.port in (80, 443) else f':{req.port}'}"
        verdict = self._continued(url + path, activity, flows.user_of(flow), client)
        if verdict is None:
            return
        justification = clean(form.get("justification", ""), 500)
        if choice == "back":
            nonce = secrets.token_urlsafe(12)
            flow.response = http.Response.make(
                200, pages.went_back_page(nonce).encode(), flows.page_headers(f"'nonce-{nonce}'")
            )
            self._record(flow, verdict, "went_back", justification)
            return
        minutes = pages.continue_minutes(self._policy().settings)
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
        self._record(flow, verdict, "continued", justification)

    def _continued(self, url: str, activity: str, user: str | None, client: str) -> Verdict | None:
        """The verdict an event about this choice describes: the activity the offer was for.

        The return path is re-classified for its URL; if its activity is another (a tampered
        ``return=/`` on a DM offer, or a form-post navigation re-read as a GET), the offer's
        activity and that activity's verdict on the platform are recorded, because that is
        what the pass will cover. None when the platform no longer knows the activity."""
        verdict = self._policy().classify(url, "GET", user, client)
        if verdict.activity == activity:
            return verdict
        platform = self._policy().platforms.get(verdict.platform_id or "")
        if platform is None or activity not in platform.verdicts:
            return None
        action, reason, ref = platform.verdicts[activity]
        if verdict.exempt:
            action, reason, ref = verdict.action, verdict.reason, verdict.policy_ref
        return dataclasses.replace(
            verdict, activity=activity, action=action, reason=reason, policy_ref=ref
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
        """Log one event for a page that is being sent. Never raises: a log that cannot be
        written must not take the page with it (the recorder holds and retries it)."""
        if self.recorder is None:
            return
        try:
            user, client = flows.user_of(flow), flows.client_of(flow)
            self.recorder.record(new_event(verdict, outcome, user, client, justification))
            if self.shipper:
                self.shipper.wake.set()
        except Exception as error:
            log.exception("staffguard: event for %s not recorded", verdict.url)
            self.recorder.failed(f"event not built: {error!r}")
