"""The lean proxy's front door: CONNECT to a host that needs no decision, relayed directly.

Most of a district's HTTPS traffic goes to sites no list knows (search, news, the district's own
services), and for those the proxy only relays bytes. Through mitmproxy a new CONNECT costs about
2.5 ms of CPU (its connection handler, the HTTP and TLS layers, the ClientHello parse, the hook
events, a layer command for every chunk relayed), five times e2guardian's. ``staffguard proxy
--lean`` puts this module in front of mitmproxy's regular-mode listener instead:

* Every new client connection is first read here. Anything but a ``CONNECT host:port`` request
  (a plain-HTTP request, a CONNECT to an IP address, one whose head does not arrive at once) is
  handed to mitmproxy untouched: the bytes read so far go with it, and mitmproxy serves the
  connection exactly as it would have (``hand_over``).
* A CONNECT whose host ``StaffGuard.passes_through`` (no list can warn, block or mark it, and it
  is no LMS host) is answered here: the ``client_connected`` and ``server_connect`` hooks run as
  mitmproxy runs them (its ``block_global``/``block_private``, ``connect_addr``, the refusal to
  connect to itself, a district's own script that re-addresses servers), the server is reached,
  ``200 Connection established`` is sent, and the two sockets are joined by two small protocols
  with flow control (``Joined``).
* The client's first bytes after the 200 are checked before anything is relayed: a TLS
  ClientHello whose SNI needs a decision inside a CONNECT to an innocent host (a tool's trick to
  pass a platform through undecrypted) closes the connection, as the decrypting path refuses
  such a request; so does plain HTTP in the tunnel whose Host needs a decision. The SNI (or the
  CONNECT host) is counted for "unclassified sites staff use most", as on mitmproxy's path.

With ``proxyauth`` set, the front door relays only a CONNECT whose ``Proxy-Authorization``
mitmproxy's own proxyauth addon accepts (its validator: one user, htpasswd or LDAP, called as
mitmproxy calls it); one without valid credentials goes to mitmproxy, which answers 407.
It stays out of the way when it cannot do what mitmproxy would: when an addon other than
mitmproxy's own and StaffGuard's hooks ``http_connect`` or ``tls_clienthello``, in every mode
but regular, and with ``staffguard_fast_connect=false``. A fault here before the 200 hands the
connection to mitmproxy; after it, the connection is closed and the fault logged. A connection
the front door holds (its head still arriving, or a relayed tunnel) is closed after ten minutes
without traffic (mitmproxy's own TCP timeout). The disconnect hooks are not called for relayed
connections.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
from collections.abc import Callable
from typing import Any

from mitmproxy import connection, ctx
from mitmproxy.addons.proxyauth import parse_http_basic_auth
from mitmproxy.proxy import mode_servers, server_hooks
from mitmproxy.proxy.layers.tls import parse_client_hello

log = logging.getLogger(__name__)

HEAD_BYTES = 8 * 1024  # a CONNECT head longer than this goes to mitmproxy
FIRST_BYTES = 64 * 1024  # a ClientHello or HTTP head not complete by then: closed
IDLE_SECONDS = 600.0  # mitmproxy's TCP timeout for a connection without traffic
NAME_SECONDS = 60.0  # a host name's addresses are kept this long (as a browser's host cache)
NAME_ENTRIES = 4096
CONNECT_LINE = re.compile(rb"CONNECT ([A-Za-z0-9.-]{1,253}):([0-9]{1,5}) HTTP/1\.[01]\r\n")
HTTP_LINE = re.compile(rb"[A-Z]{3,10} [^ \r\n]+ HTTP/1\.[01]\r\n")
PROXY_AUTHORIZATION = re.compile(rb"\r\nproxy-authorization:[ \t]*([^\r\n]*)", re.IGNORECASE)
HOST_HEADER = re.compile(rb"\r\nhost:[ \t]*\[?([^\r\n:\]]*)", re.IGNORECASE)
ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
OWN_HOOK_MODULES = ("mitmproxy.", "proxy_addons.")

LISTEN: Callable[..., Any] = mode_servers.AsyncioServerInstance.listen


def install() -> None:
    """Put the front door before every regular-mode listener of this process."""
    mode_servers.RegularInstance.listen = _listen  # type: ignore[method-assign,assignment]


async def _listen(instance: Any, host: str, port: int) -> list[Any]:
    """``AsyncioServerInstance.listen`` for TCP, with a ``Door`` for each new connection."""
    if instance.mode.transport_protocol != "tcp":
        return list(await LISTEN(instance, host, port))
    if port == 0:  # as mitmproxy: one port for IPv4 and IPv6
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("", 0))
            port = probe.getsockname()[1]
    front = Front(instance)
    loop = asyncio.get_running_loop()
    reuse = os.environ.get("STAFFGUARD_REUSE_PORT") == "1" or None  # --workers
    server = await loop.create_server(lambda: Door(front), host or None, port, reuse_port=reuse)
    return [server]


class Names:
    """Host name -> addresses for a minute, as a browser's host cache or squid's ipcache keeps
    them: ``getaddrinfo`` runs on asyncio's thread pool, and handing each new CONNECT's look-up
    to a thread and back cost more CPU than all the rest of the front door. An address that
    refuses the connection is looked up afresh."""

    def __init__(self, seconds: float = NAME_SECONDS, size: int = NAME_ENTRIES) -> None:
        self.seconds, self.size = seconds, size
        self._known: dict[tuple[str, int], tuple[float, list[Any]]] = {}

    async def connect(
        self, protocol: Callable[[], Joined], host: str, port: int, local: Any
    ) -> Joined:
        loop = asyncio.get_running_loop()
        key = (host, port)
        known = self._known.get(key)
        fresh = known is None or loop.time() - known[0] > self.seconds
        if fresh:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            if len(self._known) >= self.size:
                self._known.clear()
            self._known[key] = (loop.time(), infos)
        else:
            infos = known[1]  # type: ignore[index]
        errors: list[OSError] = []
        for family, _type, _proto, _name, address in infos:
            try:  # a numeric host: asyncio connects without another look-up
                _, joined = await loop.create_connection(
                    protocol, str(address[0]), int(address[1]), family=family, local_addr=local
                )
                return joined
            except OSError as error:
                errors.append(error)
        self._known.pop(key, None)
        if not fresh:  # the addresses may have moved: once more with a fresh look-up
            return await self.connect(protocol, host, port, local)
        raise errors[0] if errors else OSError(f"no address for {host}")


class Front:
    """What the doors of one listener share: the mitmproxy server instance, the connections held
    (heads still arriving, tunnels relayed), the host names looked up."""

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        self.loop = asyncio.get_running_loop()
        self.names = Names()
        self.held: set[Door] = set()
        self._sweeper: asyncio.TimerHandle | None = None

    def guard(self) -> Any | None:
        """The StaffGuard addon when the front door may answer CONNECT itself, else None."""
        opts = ctx.options
        if not opts.staffguard_fast_connect:
            return None
        addons: Any = ctx.master.addons  # the lean master's HookTable (front runs only there)
        for event in ("http_connect", "tls_clienthello"):
            for _addon, func in addons.hooks_named(event):  # the lean HookTable's cached list
                module = getattr(func, "__module__", "") or ""
                if not module.startswith(OWN_HOOK_MODULES):
                    return None  # someone else wants to see these connections
        return addons.get("staffguard")

    def opened(self, door: Door) -> None:
        self.held.add(door)
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(60, self._sweep)

    def _sweep(self) -> None:
        now = self.loop.time()
        for door in [d for d in self.held if now - d.last > IDLE_SECONDS]:
            door.close()
        self._sweeper = self.loop.call_later(60, self._sweep) if self.held else None


def signed_in(head: bytes) -> bool:
    """Whether the CONNECT head carries credentials mitmproxy's proxyauth accepts."""
    found = PROXY_AUTHORIZATION.search(head)
    auth = ctx.master.addons.get("proxyauth")
    if found is None or auth is None or auth.validator is None:
        return False
    try:
        _scheme, user, password = parse_http_basic_auth(found.group(1).decode("latin-1").strip())
        return bool(auth.validator(user, password))
    except Exception:  # a malformed header, a directory that cannot be reached: not signed in
        return False


class Door(asyncio.Protocol):
    """One client connection: read the head, then hand over, or relay it (see the module)."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.transport: Any = None
        self.buffer = bytearray()
        self.state = "head"  # head -> connecting -> first -> relay | handed | closed
        self.host = ""
        self.head = b""  # the CONNECT head, for mitmproxy should the connect fail before the 200
        self.far: Joined | None = None
        self.guard: Any = None
        self.last = 0.0
        self.eof = False

    # --- the client side ----------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.last = self.front_loop_time()
        self.front.opened(self)  # swept if its head or its tunnel stays idle (IDLE_SECONDS)

    def data_received(self, data: bytes) -> None:
        if self.state == "relay":
            self.last = self.front_loop_time()
            assert self.far is not None
            self.far.transport.write(data)
            return
        self.buffer += data
        if self.state == "head":
            self._read_head()
        elif self.state == "first":
            self._read_first()
        elif self.state == "connecting" and len(self.buffer) > FIRST_BYTES:
            self.close()

    def _read_head(self) -> None:
        if b"CONNECT "[: len(self.buffer)] != self.buffer[:8]:
            return self.hand_over()
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > HEAD_BYTES:
                self.hand_over()
            return None
        try:
            target = self._passing_target(bytes(self.buffer[: end + 2]))
        except Exception:
            log.exception("staffguard: front door failed on a CONNECT; mitmproxy takes it")
            target = None
        if target is None:
            return self.hand_over()
        self.head = bytes(self.buffer[: end + 4])
        del self.buffer[: end + 4]
        self.state = "connecting"
        self.host = target[0]
        self.front.loop.create_task(self._connect_or_hand_over(*target))
        return None

    async def _connect_or_hand_over(self, host: str, port: int) -> None:
        try:
            await self._connect(host, port)
        except Exception:
            if self.state != "connecting":
                log.exception("staffguard: front door failed on CONNECT %s; closed", host)
                return self.close()
            log.exception("staffguard: front door failed on CONNECT %s; mitmproxy takes it", host)
            self.buffer[:0] = self.head
            self.hand_over()

    def _passing_target(self, head: bytes) -> tuple[str, int] | None:
        """The CONNECT's host and port when the front door relays it, else None."""
        line = CONNECT_LINE.match(head)
        if line is None:
            return None
        host, port = line.group(1).decode("ascii").lower().rstrip("."), int(line.group(2))
        if not host or host.replace(".", "").isdigit() or not 0 < port < 65536:
            return None  # an IP address: mitmproxy decides by the SNI
        self.guard = self.front.guard()
        if self.guard is None or self.guard.source is None:
            return None
        if not self.guard.passes_through([host]):
            return None
        if ctx.options.proxyauth and not signed_in(head):
            return None  # mitmproxy asks for the credentials (407)
        return host, port

    async def _connect(self, host: str, port: int) -> None:
        """The hooks mitmproxy runs for a new client and server, the server, then the 200."""
        peer = self.transport.get_extra_info("peername")
        local = self.transport.get_extra_info("sockname")
        client = connection.Client(
            peername=peer[:2], sockname=local[:2], proxy_mode=self.front.instance.mode
        )
        addons = ctx.master.addons
        await addons.trigger_event(server_hooks.ClientConnectedHook(client))
        if client.error or self.state == "closed":
            return self.close()
        server = connection.Server(address=(host, port))
        await addons.trigger_event(
            server_hooks.ServerConnectHook(
                server_hooks.ServerConnectionHookData(server=server, client=client)
            )
        )
        if server.error or server.address is None:
            return self._refuse(f"{server.error or 'no address'}")
        try:
            far = await self.front.names.connect(
                lambda: Joined(self), server.address[0], server.address[1], server.sockname
            )
        except OSError as error:
            return self._refuse(str(error) or type(error).__name__)
        if self.state == "closed":
            far.transport.close()
            return None
        self.far = far
        self.transport.write(ESTABLISHED)
        self.state = "first"
        self.last = self.front_loop_time()
        if self.buffer:
            self._read_first()
        elif self.eof:
            self.close()
        return None

    def _refuse(self, why: str) -> None:
        body = f"StaffGuard proxy: cannot connect to {self.host}: {why}\n".encode()
        self.transport.write(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        self.close()

    def _read_first(self) -> None:
        """The first bytes in the tunnel: the name inside must pass too (see the module)."""
        try:
            name = self._inner_name()
        except ValueError as error:  # not a ClientHello that can be read: nothing relayed
            log.warning("staffguard: CONNECT %s: %s; closed", self.host, error)
            return self.close()
        except Exception:
            log.exception("staffguard: front door failed on a tunnel's first bytes; closed")
            return self.close()
        if name is None:
            if len(self.buffer) > FIRST_BYTES:
                log.warning("staffguard: CONNECT %s: no whole ClientHello in 64 KiB", self.host)
                self.close()
            return None
        if name and name != self.host and not self.guard.passes_through([name]):
            log.warning(
                "staffguard: CONNECT %s carried the name %s, which needs a decision; refused",
                self.host,
                name,
            )
            return self.close()
        self.guard.count_passthrough(name or self.host)
        assert self.far is not None
        self.state = "relay"
        self.last = self.front_loop_time()
        self.far.transport.write(bytes(self.buffer))
        self.buffer.clear()
        if self.eof:
            self.eof_received()
        return None

    def _inner_name(self) -> str | None:
        """The SNI or Host header inside the tunnel ("" when it names nothing), None until the
        bytes that carry it have all arrived. ValueError: a ClientHello that cannot be read."""
        data = bytes(self.buffer)
        if data[:1] == b"\x16":
            hello = parse_client_hello(data)
            return None if hello is None else (hello.sni or "").lower().rstrip(".")
        if HTTP_LINE.match(data) is None:
            return "" if len(data) >= 16 or b"\r\n" in data else None
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return None
        host = HOST_HEADER.search(data[: end + 2])
        return "" if host is None else host.group(1).decode("latin-1").strip().lower()

    def eof_received(self) -> bool:
        self.eof = True
        if self.state == "relay":
            assert self.far is not None
            if self.far.eof or not self.far.transport.can_write_eof():
                self.close()
                return False
            self.far.transport.write_eof()
            return True  # the other way may still carry data
        if self.state == "head":
            self.hand_over()
            return True
        return self.state in ("connecting", "first")  # kept open until decided

    def connection_lost(self, exc: Exception | None) -> None:
        if self.state != "handed":
            self.close()

    def pause_writing(self) -> None:  # the client reads slower than the server sends
        if self.far is not None:
            self.far.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.far is not None:
            self.far.transport.resume_reading()

    # --- ends -----------------------------------------------------------------------------

    def hand_over(self) -> None:
        """Give the connection to mitmproxy as if it had accepted it, with the bytes read."""
        self.state = "handed"
        self.front.held.discard(self)  # mitmproxy's own timeout watches it now
        reader = asyncio.StreamReader(limit=2**16)
        protocol = asyncio.StreamReaderProtocol(reader, self.front.instance.handle_stream)
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        if self.buffer:
            protocol.data_received(bytes(self.buffer))
            self.buffer.clear()
        if self.eof:
            protocol.eof_received()

    def close(self) -> None:
        if self.state == "closed":
            return
        self.state = "closed"
        self.front.held.discard(self)
        self.buffer.clear()
        self.transport.close()
        if self.far is not None:
            self.far.transport.close()

    def front_loop_time(self) -> float:
        return self.front.loop.time()


class Joined(asyncio.Protocol):
    """The server side of a relayed CONNECT: what arrives goes to the client, and back."""

    def __init__(self, door: Door) -> None:
        self.door = door
        self.transport: Any = None
        self.eof = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.door.transport.write(data)
        self.door.last = self.door.front_loop_time()

    def eof_received(self) -> bool:
        self.eof = True
        door = self.door
        if door.eof or door.state != "relay" or not door.transport.can_write_eof():
            door.close()
            return False
        door.transport.write_eof()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.door.close()

    def pause_writing(self) -> None:  # the server reads slower than the client sends
        self.door.transport.pause_reading()

    def resume_writing(self) -> None:
        self.door.transport.resume_reading()
