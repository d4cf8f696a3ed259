"""Real processes for the proxy's end-to-end tests: ``mitmdump`` with the StaffGuard addon in
its own directories, sending the platforms' hosts to the testkit's upstream
(``staffguard_testkit.upstream``), and a stand-in for the admin site's API.

The proxy runs on the lean master (``staffguard proxy --lean``), as ``staffguard run`` and the
systemd unit start it; ``STAFFGUARD_TEST_MASTER=mitmdump`` runs every test on plain
``mitmdump -s`` instead, and a test can pick one with ``Proxy.master``."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mitmproxy.test import taddons

from policy_lists import compile_sources
from proxy_addons.addon import StaffGuard
from proxy_addons.cli import lean_argv, mitmdump_argv
from staffguard_testkit.net import free_port, until, wait_for_port
from staffguard_testkit.upstream import Upstream

HERE = Path(__file__).parent
MASTER = os.environ.get("STAFFGUARD_TEST_MASTER", "lean")


class Proxy:
    """One ``mitmdump`` with the addon; ``start()`` again after ``kill()`` keeps its data."""

    def __init__(self, directory: Path, upstream: Upstream, policy: list[str], token: str = ""):
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.data = directory / "data"
        self.upstream = upstream
        self.policy = policy
        self.token = token
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = directory / "mitmdump.log"
        self.options: list[str] = []  # more mitmproxy options, e.g. ["proxyauth=u:p"]
        self.started = directory / "started"  # upstream_map.py creates it once mitmdump runs
        self.master = MASTER  # "lean" (staffguard proxy --lean) or "mitmdump" (mitmdump -s)

    def start(self) -> Proxy:
        argv = mitmdump_argv(
            self.policy,
            listen_port=self.port,
            token=self.token or None,
            data_dir=self.data,
            confdir=self.dir / "confdir",
        )
        argv += [
            "-s", str(HERE / "upstream_map.py"),
            "--set", "connection_strategy=lazy",
            "--set", "ssl_insecure=true",
        ]  # fmt: skip
        for option in self.options:
            argv += ["--set", option]
        if self.master == "lean":
            argv = lean_argv(argv)
        env = {
            **os.environ,
            "STAFFGUARD_TEST_UPSTREAM": self.upstream.ports,
            "STAFFGUARD_TEST_STARTED": str(self.started),
        }
        self.started.unlink(missing_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        wait_for_port(self.port, proc=self.proc)
        self._wait_started()
        return self

    def _wait_started(self) -> None:
        """Return once mitmdump is past its start-up check (a proxy that logged an error while
        it started has exited by then); RuntimeError if it exited."""
        proc = self.proc
        assert proc is not None
        until(lambda: self.started.exists() or proc.poll() is not None)
        if proc.poll() is not None:
            raise RuntimeError(f"mitmdump exited with {proc.returncode}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        method: str = "GET",
        body=None,
        tunnel: dict[str, str] | None = None,
    ) -> tuple[http.client.HTTPResponse, bytes, bytes | None]:
        """One request through the proxy: (response, body, server certificate seen, DER);
        ``tunnel``: headers for the CONNECT (Proxy-Authorization)."""
        scheme, _, rest = url.partition("://")
        host, _, path = rest.partition("/")
        hostname, _, port = host.partition(":")
        if scheme == "https":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=context, timeout=15
            )
            conn.set_tunnel(hostname, int(port or 443), headers=tunnel)
            target = "/" + path
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            target = url
        cert = None
        if scheme == "https":
            conn.connect()
            cert = conn.sock.getpeercert(binary_form=True)
        conn.request(method, target, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data, cert


def spool_drained(data: Path) -> bool:
    """True once the proxy with data directory ``data`` has shipped its whole spool and noted
    so (``events.offset`` at the end of ``events.jsonl``): from then on it sends nothing more
    until a new event comes. Tests wait on this instead of sleeping and hoping."""
    try:
        offset = int((data / "events.offset").read_text().split()[0])
        return offset == (data / "events.jsonl").stat().st_size
    except (OSError, ValueError, IndexError):
        return False


class FakeAdmin:
    """The admin site's proxy-facing API as design.md describes it, small enough to kill at will:
    the policy with an ETag, events stored once per id, unclassified counts replaced."""

    def __init__(self, port: int | None = None, policy: dict | None = None):
        self.port = port or free_port()
        self.stored: dict[str, dict] = {}
        self.batches: list[int] = []
        self.unclassified: dict[tuple[str, str, str], int] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.refuse_ids: set[str] = set()
        self.statuses: list[dict] = []  # health reports (POST /api/v1/status)
        self.has_status_api = True  # False: an older admin site, 404 for /api/v1/status
        self.status = 200  # anything else: every request gets it (an admin site in trouble)
        self.identity_keys: dict = {"keys": []}  # the public JWK set of /api/v1/identity/keys
        self.training_due = False  # True: every user owes the training acknowledgment...
        self.training_delay = 0.0  # seconds the training calls take (a slow admin site)
        self.acknowledged: list[str] = []  # ...until acknowledged through the training API
        self.set_policy(policy or compile_sources())
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_policy(self, compiled: dict) -> None:
        self.policy = json.dumps(compiled).encode()
        self.etag = f'"{hash(self.policy) & 0xFFFFFFFF:x}"'

    def _answer(self, body: dict | list) -> tuple[int, dict | list]:
        if self.status != 200:
            return self.status, {"error": "unavailable"}
        assert isinstance(body, list)
        for index, event in enumerate(body):
            if event.get("id") in self.refuse_ids:
                return 400, {"error": "bad event", "index": index}
        new = [e for e in body if e["id"] not in self.stored]
        self.stored.update((e["id"], e) for e in body)
        self.batches.append(len(body))
        return 200, {"accepted": len(new), "duplicates": len(body) - len(new)}

    def start(self) -> FakeAdmin:
        admin = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                admin.requests.append(("GET", self.path, dict(self.headers)))
                if admin.status != 200:
                    return self._reply(admin.status, b"{}", {})
                if self.path == "/api/v1/identity/keys":
                    return self._reply(200, json.dumps(admin.identity_keys).encode(), {})
                if self.path.startswith("/api/v1/training/status?"):
                    return self._training(self.path.partition("user=")[2].replace("%40", "@"))
                if self.headers.get("If-None-Match") == admin.etag:
                    return self._reply(304, b"", {"ETag": admin.etag})
                self._reply(200, admin.policy, {"ETag": admin.etag})

            def do_POST(self) -> None:
                admin.requests.append(("POST", self.path, dict(self.headers)))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/api/v1/training/acknowledgments":
                    time.sleep(admin.training_delay)
                    admin.acknowledged.append(body["user"])
                    return self._training(body["user"], 201)
                if self.path == "/api/v1/events":
                    status, answer = admin._answer(body)
                elif self.path == "/api/v1/status":
                    if not admin.has_status_api:
                        return self._reply(404, b"{}", {})
                    admin.statuses.append(body)
                    return self._reply(204, b"", {})
                else:
                    for count in body["counts"]:
                        key = (body["reporter"], count["day"], count["domain"])
                        admin.unclassified[key] = count["count"]
                    status, answer = 200, {"stored": len(body["counts"])}
                self._reply(status, json.dumps(answer).encode(), {})

            def _training(self, user: str, status: int = 200) -> None:
                """The training status (design.md)."""
                if status == 200:
                    time.sleep(admin.training_delay)
                answer = {
                    "user": user,
                    "period": "2026-27",
                    "due": admin.training_due and user not in admin.acknowledged,
                    "url": f"https://sg.usd999.org/training?email={user}",
                }
                self._reply(status, json.dumps(answer).encode(), {})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[Path]:
    """A directory nobody can create files in, root included (tests run as root here, where
    permission bits do not stop anyone): the immutable attribute, else plain permissions."""
    directory.mkdir(parents=True, exist_ok=True)
    immutable = (
        os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(directory)]).returncode == 0
    )
    if not immutable:
        directory.chmod(0o555)
    try:
        probe = directory / "probe"
        try:
            probe.touch()
        except OSError:
            pass
        else:
            probe.unlink()
            raise RuntimeError(f"{directory} could not be made read-only on this machine")
        yield directory
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
        else:
            directory.chmod(0o755)


@contextlib.contextmanager
def running_addon(directory: Path, district: str) -> Iterator[StaffGuard]:
    """The addon configured in mitmproxy's test harness on a district list of its own."""
    path = directory / "district.yaml"
    path.write_text(district)
    addon = StaffGuard()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, staffguard_policy=[str(path)], staffguard_data=str(directory))
        yield addon
    addon.done()
