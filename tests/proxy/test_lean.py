"""``staffguard proxy --lean`` and ``--workers N``: the same proxy as mitmdump + addon, faster.

The lean master must behave as mitmdump for what districts use (warning pages, passthrough,
``proxyauth``, upstream proxy mode), keep any addon whose option is set, and deliver each event
to every hook that exists, also to addons added later. Workers share one port and one secret.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mitmproxy import options
from mitmproxy.proxy.layers.http import HttpRequestHook
from mitmproxy.test import tflow
from proxy_harness import HERE, Proxy, free_port, running_addon, wait_for_port

from proxy_addons.cli import lean_argv, mitmdump_argv, worker_argvs
from proxy_addons.lean import LeanMaster
from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import until

pytestmark = pytest.mark.e2e


class LeanProxy(Proxy):
    """The test harness's proxy, on the lean master, with extra mitmdump arguments."""

    extra: tuple[str, ...] = ()

    def start(self) -> LeanProxy:
        argv = mitmdump_argv(
            self.policy,
            listen_port=self.port,
            data_dir=self.data,
            confdir=self.dir / "confdir",
        )
        argv += ["-s", str(HERE / "upstream_map.py"), "--set", "ssl_insecure=true", *self.extra]
        env = {**os.environ, "STAFFGUARD_TEST_UPSTREAM": self.upstream.ports}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                lean_argv(argv), stdout=log, stderr=subprocess.STDOUT, env=env
            )
        wait_for_port(self.port, proc=self.proc)
        return self


@pytest.fixture
def lean(tmp_path, upstream):
    made: list[LeanProxy] = []

    def make(*extra: str) -> LeanProxy:
        proxy = LeanProxy(tmp_path / f"lean{len(made)}", upstream, [])
        proxy.extra = extra
        made.append(proxy)
        return proxy.start()

    yield make
    for proxy in made:
        proxy.stop()
        if sys.exc_info()[0] is not None:
            print(proxy.log_text())


def test_the_lean_proxy_warns_and_passes_through(lean, upstream):
    proxy = lean("--set", "connection_strategy=lazy")
    response, body, _ = proxy.get("https://www.tiktok.com/@lincolnhigh", NAVIGATE)
    assert b"upstream page" not in body and b"tiktok" in body.lower(), "the warning page"
    assert (proxy.data / "events.jsonl").read_text().count("\n") == 1, "the warning is logged"
    response, body, cert = proxy.get("https://www.lincolnbank.com/", NAVIGATE)
    assert response.status == 200 and b"upstream page" in body
    assert cert == upstream.cert_der, "passed through: the bank's own certificate"


def test_the_lean_master_runs_on_uvloop_without_mitmproxys_development_checks(lean):
    """All for CPU time per request (docs/performance.md); mitmdump keeps asyncio and checks,
    and 100 generated certificates."""
    proxy = lean("-s", str(HERE / "lean_probe.py"))
    response, body, _ = proxy.get("http://lean-probe.invalid/")
    assert response.status == 200
    assert json.loads(body) == {"loop": "uvloop", "typechecked": False, "certs_kept": 1000}


def test_proxyauth_still_asks_for_credentials(lean):
    proxy = lean("--set", "proxyauth=staff:s3cret", "--set", "connection_strategy=lazy")
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=15)
    conn.request("GET", "http://en.wikipedia.org/wiki/Kansas")
    assert conn.getresponse().status == 407
    conn.close()
    credentials = base64.b64encode(b"staff:s3cret").decode()
    response, body, _ = proxy.get(
        "http://en.wikipedia.org/wiki/Kansas", {"Proxy-Authorization": f"Basic {credentials}"}
    )
    assert response.status == 200 and b"upstream page" in body


def test_upstream_mode_sends_requests_to_the_upstream_proxy(lean, upstream):
    http_port = upstream.http_port
    proxy = lean("--mode", f"upstream:http://127.0.0.1:{http_port}")
    response, _, _ = proxy.get("http://www.lincolnbank.com/accounts")
    assert response.status == 200
    # the upstream saw an absolute-form request: it was asked to act as a proxy
    assert upstream.received[-1].path == "http://www.lincolnbank.com/accounts"


def test_idle_addons_leave_the_chain_and_set_options_keep_theirs():
    async def names(**settings: object) -> tuple[list[str], list[str]]:
        opts = options.Options()
        master = LeanMaster(opts, with_termlog=False)
        opts.update(**settings)
        dropped = master.drop_idle()
        return dropped, [type(a).__name__.lower() for a in master.addons.chain]

    dropped, chain = asyncio.run(names(flow_detail=0))
    assert {"mapremote", "stickycookie", "dumper", "anticache"} <= set(dropped)
    assert {"proxyserver", "proxyauth", "nextlayer", "tlsconfig", "upstreamauth"} <= set(chain)
    dropped, chain = asyncio.run(names(map_remote=["|example.org|example.com"], flow_detail=1))
    assert "mapremote" in chain and "dumper" in chain and "mapremote" not in dropped


def test_onboarding_false_drops_the_onboarding_app_and_the_default_serves_mitm_it(lean):
    async def dropped(**settings: object) -> list[str]:
        opts = options.Options()
        master = LeanMaster(opts, with_termlog=False)
        opts.update(**settings)
        return master.drop_idle()

    assert "onboarding" not in asyncio.run(dropped()), "mitmdump's default: mitm.it served"
    assert "onboarding" in asyncio.run(dropped(onboarding=False)), "no hook on any request"
    proxy = lean("--set", "connection_strategy=lazy")
    response, body, _ = proxy.get("http://mitm.it/")
    assert response.status == 200 and b"mitmproxy" in body.lower(), "the certificate page"
    # a mapped host as the onboarding host: served by the upstream once the app is gone
    off = lean("--set", "onboarding=false", "--set", "onboarding_host=setup.wikipedia.org")
    response, body, _ = off.get("http://setup.wikipedia.org/")
    assert response.status == 200 and b"upstream page" in body, "not the onboarding app"


def test_plain_hooks_run_in_place_and_the_rest_keep_mitmproxys_ways(lean):
    """``inline``: a hook only plain functions take runs in the connection's own task (no task
    of its own); an ``async def`` hook, a returned coroutine and an intercepted flow are still
    waited for, in order; a fault is logged and the next addon still runs; AddonHalt stops."""
    proxy = lean("-s", str(HERE / "inline_probe.py"))
    waits = lean("-s", str(HERE / "inline_probe.py"), "--set", "inline_probe_async=true")

    def answer(kind: str, proxy: LeanProxy = proxy) -> str:
        response, body, _ = proxy.get(f"http://{kind}.inline.invalid/")
        assert response.status == 200, (kind, body)
        return body.decode()

    assert not answer("task").startswith("handle_hook"), "no task of its own"
    assert answer("async", waits) == "requestheaders ran", "the async hook, then request"
    assert answer("task", waits).startswith("handle_hook"), "after a task: in a task too"
    assert answer("awaits") == "awaited"
    assert answer("intercept") == "resumed", "the answer waited for the resume"
    assert answer("fault") == "after the fault"
    assert answer("halt") == "halted"
    until(lambda: "inline probe: a fault in a plain hook" in proxy.log_text())
    # each still holds on a connection that a waiting hook held before
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=15)
    for kind, expected in [("awaits", "awaited"), ("task", None), ("intercept", "resumed")]:
        conn.request("GET", f"http://{kind}.inline.invalid/")
        body = conn.getresponse().read().decode()
        assert body == expected if expected else not body.startswith("handle_hook"), kind
    conn.close()


def test_every_hook_gets_each_event_also_from_addons_added_later():
    seen: list[str] = []

    class Early:
        def request(self, flow: object) -> None:
            seen.append("early")

    class Late:
        async def request(self, flow: object) -> None:
            seen.append("late")

    class Broken:
        def request(self, flow: object) -> None:
            raise RuntimeError("an addon's fault must not stop the others")

    async def scenario() -> None:
        master = LeanMaster(options.Options(), with_termlog=False)
        master.drop_idle()
        master.addons.add(Early(), Broken())
        flow = tflow.tflow()
        await master.addons.trigger_event(HttpRequestHook(flow))
        master.addons.add(Late())
        await master.addons.trigger_event(HttpRequestHook(flow))

    asyncio.run(scenario())
    assert seen == ["early", "early", "late"]


def test_a_flows_event_reaches_its_hooks_then_update_and_a_fault_is_only_logged(caplog):
    """As mitmdump's addon manager: ``update`` follows each flow event (for an addon that takes
    it), and one addon's fault is logged while the next one still gets the event."""
    seen: list[object] = []
    flow = tflow.tflow()

    class Broken:
        def request(self, flow: object) -> None:
            raise RuntimeError("an addon's fault")

    class Watcher:
        async def request(self, flow: object) -> None:
            seen.append("request")

        def update(self, flows: list[object]) -> None:
            seen.append(flows == [flow])

    async def scenario(*addons: object) -> None:
        master = LeanMaster(options.Options(), with_termlog=False)
        master.drop_idle()
        master.addons.add(*addons)
        await master.addons.handle_lifecycle(HttpRequestHook(flow))

    asyncio.run(scenario(Broken()))  # and no update hook anywhere: nothing more
    asyncio.run(scenario(Broken(), Watcher()))
    assert seen == ["request", True]
    assert caplog.text.count("Addon error: an addon's fault") == 2


def listening_sockets(port: int) -> int:
    """Listening TCP sockets on ``port`` (each worker has its own, SO_REUSEPORT)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                count += 1
    return count


def test_workers_share_one_port_and_one_secret(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    argv = mitmdump_argv([], listen_port=port, confdir=tmp_path / "conf")
    argv += ["--set", "connection_strategy=lazy"]
    assert worker_argvs(argv, 2, data)[0][1:3] == ["-m", "proxy_addons.lean"]
    command = [
        str(Path(sys.executable).with_name("staffguard")), "proxy", "--workers", "2",
        "--listen-port", str(port), "--data", str(data), "--confdir", str(tmp_path / "conf"),
        "--set", "connection_strategy=lazy",
    ]  # fmt: skip
    log = (tmp_path / "workers.log").open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc)
        # the second worker may still be loading
        until(lambda: listening_sockets(port) >= 2 or proc.poll() is not None, timeout=60)
        assert proc.poll() is None, "both workers listen"
        for _ in range(60):  # new connections: the kernel spreads them over the workers
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            conn.request("GET", "http://www.tiktok.com/@lincolnhigh", headers=NAVIGATE)
            response = conn.getresponse()
            assert response.status == 200 and b"tiktok" in response.read().lower()
            conn.close()
        secrets = {(data / f"worker-{n}" / "secret").read_text() for n in range(2)}
        assert secrets == {(data / "secret").read_text()}
        spooled = [
            (data / f"worker-{n}" / "events.jsonl").read_text().count("\n") for n in range(2)
        ]
        assert sum(spooled) == 60 and min(spooled) > 0, spooled
    finally:
        proc.terminate()
        assert proc.wait(30) == 0, "the workers stop cleanly with their supervisor"
        log.close()


def test_each_worker_reports_unclassified_counts_under_its_own_name(tmp_path, monkeypatch):
    """The admin site keeps the latest running total per reporter: workers must not share one."""
    names = []
    for worker in ("0", "1"):
        monkeypatch.setenv("STAFFGUARD_WORKER", worker)
        (tmp_path / worker).mkdir()
        with running_addon(tmp_path / worker, "settings: {continue_minutes: 10}\n") as addon:
            assert addon.counts is not None
            names.append(addon.counts.reporter)
    assert names[0] != names[1] and names[1].endswith("/1")
    monkeypatch.delenv("STAFFGUARD_WORKER")
    (tmp_path / "single").mkdir()
    with running_addon(tmp_path / "single", "settings: {continue_minutes: 10}\n") as addon:
        assert addon.counts is not None and "/" not in addon.counts.reporter, "unchanged alone"


def test_the_add_log_relay_stays_only_for_an_addon_that_takes_it():
    """Each relayed log record cost a pipe write to wake the event loop: off when unused."""

    class OldStyle:
        def add_log(self, entry: object) -> None:
            pass

    async def relayed(*extra: object) -> bool:
        master = LeanMaster(options.Options(), with_termlog=False)
        master.addons.add(*extra)
        master.drop_idle()
        installed = master._legacy_log_events in logging.getLogger().handlers
        master._legacy_log_events.uninstall()
        return installed

    assert asyncio.run(relayed()) is False
    assert asyncio.run(relayed(OldStyle())) is True
