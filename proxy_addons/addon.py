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

import asyncio
import json
import logging
import os
import socket
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mitmproxy import ctx, exceptions, http, tls

from policy_lists import Policy, PolicyError, Verdict
from policy_lists.lms import district_hosts, is_lms_host

from . import bodies, flows, lms_hook, pages
from .continues import Continues, site_of
from .counts import UnclassifiedCounts
from .recorder import Recorder
from .source import PolicySource
from .spool import Shipper, Spool, new_event
from .training import TrainingStatus

if TYPE_CHECKING:
    from .upkeep import Upkeep

log = logging.getLogger(__name__)

PING_HOST = "staffguard.invalid"
RECORD_EVERY_SECONDS = 60.0
BODY_BYTES = 64 * 1024
LMS_READ = "staffguard_lms_read"  # flow.metadata: what a thread found in an LMS save


def api_token(opts: Any) -> str:
    """The admin site's token: the option, else its file, else ``STAFFGUARD_TOKEN``."""
    if opts.staffguard_token:
        return str(opts.staffguard_token)
    if opts.staffguard_token_file:
        try:
            return Path(opts.staffguard_token_file).expanduser().read_text().strip()
        except OSError as error:
            raise exceptions.OptionsError(f"staffguard_token_file: {error}") from error
    return os.environ.get("STAFFGUARD_TOKEN", "").strip()


class StaffGuard:
    def __init__(self) -> None:
        self.source: PolicySource | None = None
        self.spool: Spool | None = None
        self.recorder: Recorder | None = None
        self.shipper: Shipper | None = None
        self.counts: UnclassifiedCounts | None = None
        self.signer = pages.Signer(b"")
        self.continues = Continues(self.signer, self._policy, self._record)
        self.recent = flows.Recent(RECORD_EVERY_SECONDS)
        self.reporter = ""
        self.background: Upkeep | None = None  # the addon doing the background work, if any

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
            "Bearer token for the admin site (staffguard tokens create); better in "
            "staffguard_token_file, mitmproxy's config.yaml or STAFFGUARD_TOKEN than on a "
            "command line.",
        )
        loader.add_option(
            "staffguard_token_file",
            str,
            "",
            "File holding the bearer token for the admin site.",
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
        loader.add_option(
            "staffguard_fast_connect",
            bool,
            True,
            "With staffguard proxy --lean: a CONNECT to a host that needs no decision is relayed "
            "by StaffGuard's front door without mitmproxy's layers (off: mitmproxy relays it).",
        )

    def configure(self, updated: set[str]) -> None:
        if self.source and not any(
            name.startswith("staffguard_") and name != "staffguard_fast_connect" for name in updated
        ):
            return  # nothing of the guard's own changed (the front door reads its option live)
        opts = ctx.options
        data = Path(opts.staffguard_data).expanduser()
        try:
            data.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            # Warning, not error: mitmdump exits on any error logged while it starts, and a
            # proxy that does not start leaves every device unwarned (the PAC falls back to DIRECT).
            log.warning("staffguard: data directory unusable (%s); events held in memory", error)
        try:
            source = PolicySource(list(opts.staffguard_policy), data, api_token(opts))
        except (OSError, ValueError, PolicyError) as error:
            raise exceptions.OptionsError(f"staffguard_policy: {error}") from error
        self._shutdown()
        self.source = source
        self.signer = pages.Signer(pages.secret_key(data, opts.staffguard_secret))
        self.continues = Continues(self.signer, self._policy, self._record)
        if source.url:  # the admin site knows who owes the yearly acknowledgment
            self.continues.training = TrainingStatus(source.url, api_token(opts))
        self.spool = Spool(data)
        self.recorder = Recorder(self.spool)
        worker = os.environ.get("STAFFGUARD_WORKER", "")  # --workers: each reports on its own
        self.reporter = (
            f"{socket.gethostname()}:{opts.listen_port or 8080}{worker and '/' + worker}"
        )
        self.counts = UnclassifiedCounts(data, self.reporter)
        self.shipper = None
        if source.url:
            self.shipper = Shipper(self.spool, source.url, api_token(opts))
        log.info("staffguard: policy version %s, data in %s", source.policy.version, data)

    def _shutdown(self) -> None:
        """Stop the background work on the parts about to go, then flush and close them."""
        if self.background:
            self.background.stop()
        if self.continues.training is not None:
            self.continues.training.close()
        if self.recorder:
            self.recorder.retry()
        self.save_counts()
        if self.spool:
            self.spool.close()

    def done(self) -> None:
        self._shutdown()

    def save_counts(self) -> None:
        if self.counts is None:
            return
        try:
            self.counts.save()
        except OSError as error:
            log.warning("staffguard: unclassified counts not saved (%s)", error)

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
            if not self.passes_through([name for name in (sni, target) if name]):
                return
            data.ignore_connection = True
            self.count_passthrough(sni or target)
        except Exception:
            log.exception("staffguard: tls_clienthello failed; passing the connection through")
            data.ignore_connection = True

    def passes_through(self, names: list[str]) -> bool:
        """Whether a connection named so needs no decision: no name on a list that can warn,
        block or mark, and none an LMS host whose assignment posts are read (``lms_hook``).
        Also the lean proxy's front door asks this of a CONNECT host (``front.py``)."""
        policy = self._policy()
        if any(policy.needs_decision(name) for name in names):
            return False
        extra = district_hosts(policy)
        return not any(is_lms_host(name, extra) for name in names)

    def count_passthrough(self, host: str) -> None:
        """One more connection to ``host`` for "unclassified sites staff use most"."""
        if host and self.counts and self._policy().platform_for_host(host.lower()) is None:
            self.counts.record(host)

    # --- requests ----------------------------------------------------------------------

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        """The device identity header comes off here, before a streamed request's headers can
        leave; ``request`` takes it again (a flow that skipped this hook)."""
        flows.take_identity(flow)

    def request(self, flow: http.HTTPFlow) -> Coroutine[Any, Any, None] | None:
        """The verdict and what to show, decided at once for nearly every request. Three
        kinds wait first: the training step's button and a navigation on a platform's host
        by a staff member whose training status is not known yet (on the admin site), and an
        LMS save (its body, decoded and scanned on a thread: up to ~50 ms for the worst 64 KiB).
        For those this returns a coroutine, which mitmproxy awaits (it awaits whatever a hook
        returns that is awaitable), so that request waits while the event loop serves every
        other client. A plain method rather than ``async def``: the usual path stays one call."""
        heads = flows.read_heads(flow.request)
        flows.take_identity(flow, heads)  # always, first: the platform must never see it
        if flow.response or flow.error or not flow.live or self.source is None:
            return None
        waits = self._waits(flow, heads)
        if waits is not None:
            return waits
        self._guarded_request(flow, heads)
        return None

    def _guarded_request(self, flow: http.HTTPFlow, heads: flows.Heads) -> None:
        try:
            self._request(flow, heads)
        except Exception:
            self._fault(flow)

    def _waits(self, flow: http.HTTPFlow, heads: flows.Heads) -> Coroutine[Any, Any, None] | None:
        """The coroutine for a request that waits (see ``request``); None for every other.
        A fault here waits for nothing: the request is decided as any other."""
        try:
            req = flow.request
            if lms_hook.may_save(req, self._policy()):  # cheap: a POST/PUT/PATCH to an LMS
                authority, host = flows.authority_host(req, heads)
                url = flows.url_of(req, authority)
                if lms_hook.is_lms_save(req, url, host, self._policy()):
                    return self._after_lms_read(flow, url, host)
            training = self.continues.training
            if training is None:
                return None
            if req.path.startswith(pages.ACTION_PATH + "acknowledge") and req.method == "POST":
                return self._acknowledged(flow)
            user = flows.user_of(flow)
            if not user or training.known(user) or not flows.is_navigation(req, heads):
                return None
            if not self._policy().needs_decision(req.pretty_host.lower().rstrip(".")):
                return None
            return self._after_training_status(flow, training, user)
        except Exception:
            log.exception("staffguard: no wait for %s; decided at once", flow.request.pretty_url)
            return None

    async def _after_lms_read(self, flow: http.HTTPFlow, url: str, host: str) -> None:
        """Read the LMS save on a thread (the scan holds the GIL, but the loop gets it back
        every few milliseconds instead of after the whole scan), then decide the request."""
        policy = self._policy()
        try:
            finding = await asyncio.to_thread(lms_hook.finding_for, flow.request, url, host, policy)
            flow.metadata[LMS_READ] = finding
        except Exception:
            log.exception("staffguard: LMS post not read for %s; it goes on", host)
        if not (flow.response or flow.error) and flow.live:
            self._guarded_request(flow, flows.read_heads(flow.request))

    async def _after_training_status(
        self, flow: http.HTTPFlow, training: TrainingStatus, user: str
    ) -> None:
        """Learn whether ``user`` owes the acknowledgment (at most ``training.WAIT_SECONDS``;
        then the page comes without the step), then decide the request as any other."""
        try:
            await training.ask(user)
        except Exception:
            log.exception("staffguard: training status for %s failed; no step", user)
        if not (flow.response or flow.error) and flow.live:
            self._guarded_request(flow, flows.read_heads(flow.request))

    async def _acknowledged(self, flow: http.HTTPFlow) -> None:
        """The training step's button, answered by the proxy whatever happens (403 if not)."""
        flow.metadata["staffguard_page"] = True
        try:
            await self.continues.acknowledge(flow)
        except Exception:
            log.exception("staffguard: %s failed; refused", flow.request.pretty_url)
            flow.response = None
        _refuse_unless_answered(flow)

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

    def _request(self, flow: http.HTTPFlow, heads: flows.Heads) -> None:
        req = flow.request
        authority, host = flows.authority_host(req, heads)
        if host == PING_HOST:
            return self._ping(flow)
        passes = self._take_passes(req, heads)
        if req.path.startswith(pages.ACTION_PATH):
            return self._answer_own_path(flow, passes)
        policy = self._policy()
        names = flows.stated_names(req.host, host, flow.client_conn.sni)
        if len(names) > 1 and any(policy.needs_decision(name) for name in names):
            return self._misdirected(flow, names)
        user, client = flows.user_of(flow), flows.client_of(flow)
        body = self._body(req, names, policy)
        url = flows.url_of(req, authority)
        self._student_required(flow, url, host, policy)
        verdict = policy.classify(url, req.method, user, client, req.headers, body)
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
        navigation = flows.is_navigation(req, heads)
        flow.metadata["staffguard"] = verdict
        if pages.presentation(verdict, navigation) in ("interstitial", "block"):
            return self._show(flow, verdict, passes)
        if flows.is_subresource(req, heads):  # a favicon, an image: marked, answered, no event
            if verdict.action == "block":
                flow.metadata["staffguard_page"] = True
                flow.response = http.Response.make(
                    403, b"Blocked by district policy", flows.marker(verdict)
                )
            return
        site = site_of(verdict.host)
        if verdict.action == "block":  # an API call, a comment post, a websocket handshake
            flow.metadata["staffguard_page"] = True
            flow.response = http.Response.make(
                403, b"Blocked by district policy", flows.marker(verdict)
            )
            if self._worth_recording(client, site, verdict):
                self._record(flow, verdict, "blocked")
        elif navigation or self._worth_recording(client, site, verdict):
            self._record(flow, verdict, "shown")

    def _student_required(self, flow: http.HTTPFlow, url: str, host: str, policy: Policy) -> None:
        """An LMS assignment or announcement linking to social media: its notice (marked on the
        answer) and its events. A notice never stops the post, and a fault here stops nothing:
        it is logged and the request goes on as any other."""
        try:
            if LMS_READ in flow.metadata:  # read on a thread already (``_after_lms_read``)
                finding = flow.metadata.pop(LMS_READ)
            else:
                finding = lms_hook.finding_for(flow.request, url, host, policy)
            if finding is None:
                return
            flow.metadata["staffguard_lms"] = finding
            client = flows.client_of(flow)
            for verdict in lms_hook.verdicts(finding, url, host):
                # An editor that autosaves posts the same links again: once a minute is enough.
                if self.recent.first(hash((client, verdict.url, verdict.platform_id, "lms"))):
                    self._record(flow, verdict, "shown")
        except Exception:
            log.exception("staffguard: LMS post not read for %s; it goes on", host)

    def _take_passes(self, req: http.Request, heads: flows.Heads) -> dict[str, list[str]]:
        """StaffGuard's cookies, removed from the request. If reading them fails, every cookie
        field that mentions them is dropped and no pass counts: the site still never sees them,
        and a warning is shown rather than skipped."""
        try:
            return flows.take_our_cookies(req, heads)
        except Exception:
            log.exception("staffguard: cookies unreadable for %s; dropped", req.pretty_url)
            kept = [f for f in req.headers.get_all("cookie") if pages.COOKIE_PREFIX not in f]
            req.headers.set_all("cookie", kept)
            return {}

    @staticmethod
    def _body(req: http.Request, names: set[str], policy: Policy) -> bytes | None:
        """The first 64 KiB of the body (decoded if compressed: ``bodies``), for hosts whose
        rules read it (GraphQL operation names); never stored, never read for any other host."""
        if not req.raw_content or not any(policy.needs_body(name) for name in names):
            return None
        return bodies.request_body(req, BODY_BYTES)

    def _show(self, flow: http.HTTPFlow, verdict: Verdict, passes: dict[str, list[str]]) -> None:
        """The page of a warned or blocked navigation; from here on one is shown, whatever.
        A warned one passes on a pass for its platform; on another of the platform's domains
        than its home, the browser is first sent to look for the home's pass (``continues``)."""
        blocked = verdict.action == "block"
        flow.metadata["staffguard_due"] = blocked
        if not blocked:
            client, platform_id = flows.client_of(flow), verdict.platform_id or ""
            if self.continues.pass_expiry(passes, client, platform_id, verdict.activity):
                del flow.metadata["staffguard_due"]
                flow.metadata["staffguard_continued"] = True
                return
            trip = self._trip_home(flow, verdict)
            if trip is not None:
                flow.metadata["staffguard_page"] = True
                flow.response = trip  # the page, and its event, come at the home domain
                return
        try:
            flow.response = self.continues.page(flow, verdict, blocked=blocked)
        except Exception:
            log.exception("staffguard: page for %s failed; showing the static page", verdict.url)
            flow.response = self._static_page(flow, blocked=blocked)
        self._record(flow, verdict, "blocked" if blocked else "shown")

    def _trip_home(self, flow: http.HTTPFlow, verdict: Verdict) -> http.Response | None:
        try:
            return self.continues.trip_home(flow, verdict)
        except Exception:  # no trip: the page is shown here, and a continue covers this site
            log.exception("staffguard: no trip to the home of %s", verdict.platform_id)
            return None

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
        try:
            self._mark(flow)
        except Exception:  # a header or banner not added: the response goes on unchanged
            log.exception("staffguard: response failed for %s", flow.request.pretty_url)
            flow.metadata["staffguard_error"] = True

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

    def _mark(self, flow: http.HTTPFlow) -> None:
        finding = flow.metadata.get("staffguard_lms")
        if finding is not None and flow.response is not None:
            flow.response.headers.update(lms_hook.marker(finding))
            if flows.is_navigation(flow.request):
                # A form post that loads a page: the notice goes into that page as well.
                first = lms_hook.verdicts(finding, flow.request.pretty_url, flow.request.host)[0]
                flows.inject_banner(flow.response, first, self._policy().settings)
        verdict: Verdict | None = flow.metadata.get("staffguard")
        if verdict is None or flow.response is None or flow.metadata.get("staffguard_page"):
            return
        if verdict.action == "warn" and flow.metadata.get("staffguard_continued"):
            return
        flow.response.headers.update(flows.marker(verdict))
        if verdict.action == "notice" and flows.is_navigation(flow.request):
            flows.inject_banner(flow.response, verdict, self._policy().settings)

    # --- the proxy's own answers ------------------------------------------------------

    def _answer_own_path(self, flow: http.HTTPFlow, passes: dict[str, list[str]]) -> None:
        """The proxy answers every request to its own path: never the platform, whatever fails."""
        flow.metadata["staffguard_page"] = True
        try:
            self.continues.answer(flow, passes)
        except Exception:
            log.exception("staffguard: %s failed; refused", flow.request.pretty_url)
            flow.response = None
        _refuse_unless_answered(flow)

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


def _refuse_unless_answered(flow: http.HTTPFlow) -> None:
    """A request to the proxy's own path that got no answer (refused, or a fault) gets a 403:
    it never goes on to the platform."""
    if flow.response is None:
        flow.response = http.Response.make(
            403, b"This choice has expired or did not come from a warning page.", {}
        )
