"""``staffguard proxy --lean``: mitmdump with the hook dispatch StaffGuard's traffic needs.

Profiles of ``mitmdump -s staffguard.py`` put about 30 % of every request in mitmproxy's addon
dispatch: each event walks all ~35 default addons and asks each one for the hook by name, though
a request reaches only a handful of them. This master is mitmdump (the same command line and
options, so upstream mode, ``proxyauth``, listen options and ``--set`` behave alike), with
less work per event:

* events go straight to the hook functions that exist, looked up once per event name (the table
  is rebuilt whenever an addon is added or removed, e.g. a script reloaded);
* mitmproxy's deprecated ``add_log`` relay (a pipe write and an event per log record) is off
  when no addon takes it, and records below the terminal's verbosity are not made;
* addons whose options are at their idle defaults are dropped before the proxy serves (map
  local/remote, replays, anticache, sticky cookies, the flow dumper at ``--flow-detail=0``, the
  mitm.it onboarding app at ``onboarding=false``...);
  setting such an option keeps its addon, so no mitmdump feature goes missing;
* mitmproxy's development checks on every message and task are left out (``devchecks``), and
  the event loop is uvloop's.
* a proxy sign-in the validator accepted is remembered for five minutes (``authcache``: a
  bcrypt htpasswd check costs ~1.7 ms, an LDAP one a round trip), not asked on every connection;
* a front door before mitmproxy's regular-mode listener relays a CONNECT to a host that needs
  no decision itself and hands every other connection to mitmproxy (``front``);
* a hook that only plain functions take (StaffGuard's all are) runs in place, not as a task of
  its own (``inline``);
* the certificates made for decrypted hosts are kept for 1,000 host names, not mitmproxy's 100:
  one made afresh costs a key signature (~1 ms) on a connection that a platform's many hosts
  (CDN edges, regional names) would otherwise keep causing (``CERTS_KEPT``).

With ``STAFFGUARD_REUSE_PORT=1`` (set by ``--workers N``) the listening sockets take
``SO_REUSEPORT``, so N processes share one port and the kernel spreads connections over them.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from mitmproxy import addonmanager, certs, exceptions, flow, hooks, master, options
from mitmproxy.addons import asgiapp, termlog
from mitmproxy.tools import cmdline, dump
from mitmproxy.tools.main import run

from . import authcache, devchecks, front, inline

log = logging.getLogger(__name__)

# addon name -> whether the current options give it work to do (else it is dropped)
IDLE_UNLESS: dict[str, Callable[[Any], bool]] = {
    "anticache": lambda o: o.anticache,
    "anticomp": lambda o: o.anticomp,
    "blocklist": lambda o: bool(o.block_list),
    "clientplayback": lambda o: bool(o.client_replay),
    "maplocal": lambda o: bool(o.map_local),
    "mapremote": lambda o: bool(o.map_remote),
    "modifybody": lambda o: bool(o.modify_body),
    "modifyheaders": lambda o: bool(o.modify_headers),
    "serverplayback": lambda o: bool(o.server_replay),
    "stickyauth": lambda o: bool(o.stickyauth),
    "stickycookie": lambda o: bool(o.stickycookie),
    "save": lambda o: bool(o.save_stream_file),
    "savehar": lambda o: bool(o.hardump),
    "dumper": lambda o: o.flow_detail > 0,
    "updatealtsvc": lambda o: any(m.startswith("reverse") for m in o.mode),
    "stripdnshttpsrecords": lambda o: any(m.startswith(("dns", "wireguard")) for m in o.mode),
    "dnsresolver": lambda o: any(m.startswith(("dns", "wireguard", "local")) for m in o.mode),
    # the mitm.it certificate page: on by default (mitmdump's behaviour); a district that
    # installs the CA by policy sets onboarding=false and saves its hook on every request
    "onboarding": lambda o: o.onboarding,
}


CERTS_KEPT = 1000  # generated certificates mitmproxy's CertStore keeps (its own cap: 100)

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "alert": logging.INFO,
    "warn": logging.WARNING,
}
LEVELS["error"] = logging.ERROR


class HookTable(addonmanager.AddonManager):
    """An AddonManager that looks each event's hook functions up once, not per event."""

    def __init__(self, master: Any) -> None:
        super().__init__(master)
        self._table: dict[str, list[tuple[Any, Callable[..., Any]]]] = {}
        self._plain: dict[str, bool] = {}  # event name -> only plain functions take it

    def register(self, addon: Any) -> Any:
        self.forget_hooks()
        return super().register(addon)

    def add(self, *addons: Any) -> None:
        super().add(*addons)
        self.forget_hooks()

    def remove(self, addon: Any) -> None:
        super().remove(addon)
        self.forget_hooks()

    def clear(self) -> None:
        super().clear()
        self.forget_hooks()

    def forget_hooks(self) -> None:
        self._table.clear()
        self._plain.clear()

    def _hooks(self, event: hooks.Hook) -> list[tuple[Any, Callable[..., Any]]]:
        found = self._table.get(event.name)
        if found is None:
            found = [
                (addon, _plain_app(addon, func) if event.name == "request" else func)
                for top in self.chain
                for addon, func in self._iter_hooks(top, event)
            ]
            self._table[event.name] = found
        return found

    def hooks_named(self, name: str) -> list[tuple[Any, Callable[..., Any]]]:
        """The (addon, function) pairs that take the event called ``name``."""
        found = self._table.get(name)
        if found is None:
            found = [
                (part, func)
                for part in addonmanager.traverse(self.chain)
                if callable(func := getattr(part, name, None))
            ]
            self._table[name] = found
        return found

    def trigger(self, event: hooks.Hook) -> None:
        """The synchronous form (mitmproxy's own log and option events use it)."""
        args = event.args()
        for addon, func in self._hooks(event):
            try:
                with addonmanager.safecall():
                    if inspect.iscoroutinefunction(func):
                        raise exceptions.AddonManagerError(
                            f"Async handler {event.name} ({addon}) cannot be called from sync "
                            "context"
                        )
                    func(*args)
            except exceptions.AddonHalt:
                return

    async def trigger_event(self, event: hooks.Hook) -> None:
        found = self._hooks(event)
        if found:
            await _call(found, event.args())

    def plain_only(self, event: hooks.Hook) -> bool:
        """Whether only plain functions (no ``async def``) take ``event`` and the ``update``
        that follows a flow's event: then ``inline`` runs it without a task."""
        plain = self._plain.get(event.name)
        if plain is None:
            found = [*self._hooks(event), *self._hooks(_UPDATE)]
            plain = not any(inspect.iscoroutinefunction(func) for _, func in found)
            self._plain[event.name] = plain
        return plain

    def run_lifecycle_now(
        self, event: hooks.Hook, args: list[Any]
    ) -> Coroutine[Any, Any, None] | None:
        """``handle_lifecycle`` run in place (``args``: ``event.args()``); what is left to await
        if a function returned something to await, else None."""
        later = inline.run_now(self._hooks(event), args)
        if isinstance(args[0], flow.Flow) and (update := self._hooks(_UPDATE)):
            if later is not None:
                return _then(later, update, [[args[0]]])
            return inline.run_now(update, [[args[0]]])
        return later

    async def handle_lifecycle(self, event: hooks.Hook) -> None:
        """A flow's event (``request``, ``response``...), then ``update`` for its flow, as
        AddonManager's; each only for the addons that take it (mitmdump's take no ``update``)."""
        args = event.args()
        found = self._hooks(event)
        if found:
            await _call(found, args)
        if isinstance(args[0], flow.Flow) and (update := self._hooks(_UPDATE)):
            await _call(update, [[args[0]]])


def _plain_app(addon: Any, func: Callable[..., Any]) -> Callable[..., Any]:
    """An app mitmproxy hosts (the mitm.it onboarding app) takes ``request`` with an ``async
    def`` that does nothing unless the request is for the app: as a plain function that gives
    it the request only then, the other requests need no task (``inline``)."""
    if not isinstance(addon, asgiapp.ASGIApp):
        return func

    def request(flow: Any) -> Any:
        return func(flow) if addon.should_serve(flow) else None

    return request


_UPDATE = hooks.UpdateHook([])  # the update event's name, to look its hooks up by


async def _call(found: list[tuple[Any, Callable[..., Any]]], args: list[Any]) -> None:
    """Each hook with these arguments, in turn, as ``AddonManager.trigger_event``: a fault is
    logged (``safecall``'s own words) and the next hook runs; ``AddonHalt`` stops the event.
    The same calls ``inline`` makes in place, awaiting what one returns."""
    later = inline.run_now(found, args)
    if later is not None:
        await later


async def _then(
    first: Coroutine[Any, Any, None], found: list[tuple[Any, Callable[..., Any]]], args: list[Any]
) -> None:
    await first
    await _call(found, args)


class LeanMaster(dump.DumpMaster):
    """mitmdump's master on a HookTable, without the addons the options leave idle."""

    def __init__(
        self,
        opts: options.Options,
        loop: asyncio.AbstractEventLoop | None = None,
        with_termlog: bool = True,
        with_dumper: bool = True,
    ) -> None:
        master.Master.__init__(self, opts, event_loop=loop, with_termlog=False)
        self.addons = HookTable(self)
        if with_termlog:
            self._termlog_addon = termlog.TermLog()
            self.addons.add(self._termlog_addon)
        # the rest exactly as DumpMaster: every default addon, so every option exists
        from mitmproxy import addons
        from mitmproxy.addons import dumper, errorcheck, keepserving, readfile

        self.addons.add(*addons.default_addons())
        if with_dumper:
            self.addons.add(dumper.Dumper())
        self.addons.add(
            keepserving.KeepServing(), readfile.ReadFileStdin(), errorcheck.ErrorCheck()
        )
        # after proxyauth: its validator, once set, remembers accepted sign-ins (authcache)
        self.addons.add(authcache.RememberSignIns())

    def drop_idle(self) -> list[str]:
        """Take the addons these options leave idle out of the chain; their names.

        They stay registered (their options and commands still work) but receive no events.
        """
        idle = [
            addon
            for addon in self.addons.chain
            if (keep := IDLE_UNLESS.get(addonmanager._get_name(addon))) is not None
            and not keep(self.options)
        ]
        self.addons.chain = [addon for addon in self.addons.chain if addon not in idle]
        if isinstance(self.addons, HookTable):
            self.addons.forget_hooks()
        if not any(hasattr(a, "add_log") for a in addonmanager.traverse(self.addons.chain)):
            # Nobody takes the deprecated add_log event: without this handler a log record
            # no longer costs a wake-up of the event loop (a pipe write) and an event.
            self._legacy_log_events.uninstall()
        # Records below what the terminal shows are not made at all (never above WARNING, so
        # faults are always logged).
        if "termlog_verbosity" in self.options:
            shown = LEVELS.get(self.options.termlog_verbosity, logging.DEBUG)
            logging.getLogger().setLevel(min(shown, logging.WARNING))
        return [addonmanager._get_name(addon) for addon in idle]

    async def run(self) -> None:
        log.debug("staffguard: lean master without %s", self.drop_idle())
        front.install()  # CONNECT that needs no decision: relayed before mitmproxy's layers
        inline.install()  # hooks that only plain functions take: run without a task
        certs.CertStore.STORE_CAP = max(certs.CertStore.STORE_CAP, CERTS_KEPT)
        await super().run()


def _reuse_port() -> None:
    """Listening sockets with SO_REUSEPORT: mitmproxy calls ``asyncio.start_server`` without it."""
    start_server = asyncio.start_server
    asyncio.start_server = functools.partial(start_server, reuse_port=True)


def _fast_loop() -> None:
    """uvloop as the event loop when it is installed (a dependency, except on Windows).

    The loop's own work (readiness callbacks, task steps, socket calls) is done in C there:
    ~3 % less CPU time per request, in every ``bench/peers.py`` scenario. mitmproxy needs nothing
    of asyncio's own loop (its TLS is its own, over plain sockets)."""
    try:
        import uvloop
    except ImportError:  # not built for this platform: asyncio's own loop serves as well
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main(argv: Sequence[str] | None = None) -> int:
    """The ``mitmdump`` command line, on the lean master."""
    if os.environ.get("STAFFGUARD_REUSE_PORT") == "1":
        _reuse_port()
    _fast_loop()
    devchecks.skip()

    def extra(args: Any) -> dict[str, Any]:
        if args.filter_args:
            value = " ".join(args.filter_args)
            return {"save_stream_filter": value, "readfile_filter": value, "dumper_filter": value}
        return {}

    run(LeanMaster, cmdline.mitmdump, list(sys.argv[1:] if argv is None else argv), extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
