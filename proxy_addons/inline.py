"""The lean master's connections: a hook whose functions are all plain functions runs in place.

mitmproxy starts every hook a layer raises (``requestheaders``, ``request``, ``response``...)
as an asyncio task: the task is made and named, scheduled, stepped, and then feeds the layer
stack a ``HookCompleted`` event of its own. That lets an ``async def`` hook wait on the network
without stopping the proxy. StaffGuard's hooks, and the mitmproxy addons the lean master keeps
for them, are plain functions that never wait, and a warned page raises four hooks: there the
task is pure overhead (``bench/peers.py``; docs/performance.md gives the figures).

``Handler`` is mitmproxy's connection handler with one difference: a hook that only plain
functions take, raised while no other hook of the same event went to a task (so the order
stays mitmproxy's), is held back; once the event's commands are done, each held hook runs
there and then, in the order raised, and its ``HookCompleted`` follows at once. Anything else
takes mitmproxy's own path: a hook with an ``async def`` function, a plain function that
returns something to await, a flow an addon intercepted (it waits for its resume in a task).
A fault in a hook is logged as mitmproxy logs it and the next function still runs; an
``AddonHalt`` ends the hook.
"""

from __future__ import annotations

import collections
import inspect
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, cast

from mitmproxy import addonmanager, exceptions, flow
from mitmproxy.proxy import commands, events, mode_servers
from mitmproxy.utils import asyncio_utils

Hooks = list[tuple[Any, Callable[..., Any]]]


def install() -> None:
    """New connections of every server instance in this process get a ``Handler``."""
    mode_servers.ProxyConnectionHandler = Handler  # type: ignore[misc]


def run_now(found: Hooks, args: list[Any]) -> Coroutine[Any, Any, None] | None:
    """Each function with these arguments, as ``AddonManager.trigger_event`` runs them; None
    when all have run, else a coroutine that awaits what one returned and runs the rest."""
    for at, (_addon, func) in enumerate(found):
        try:
            result = func(*args)
        except exceptions.AddonHalt:
            return None
        except Exception:
            with addonmanager.safecall():  # logs it (an OptionsError goes on up)
                raise
            continue
        if result is not None and inspect.isawaitable(result):
            return _rest(result, found[at + 1 :], args)
    return None


async def _rest(pending: Any, found: Hooks, args: list[Any]) -> None:
    try:
        await pending
    except exceptions.AddonHalt:
        return
    except Exception:
        with addonmanager.safecall():
            raise
    later = run_now(found, args)
    if later is not None:
        await later


class Handler(mode_servers.ProxyConnectionHandler):
    """mitmproxy's connection handler, with hooks that need no task run in place."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._held: collections.deque[commands.StartHook] = collections.deque()
        super().__init__(*args, **kwargs)

    @property
    def layer(self) -> Any:
        return self._holding

    @layer.setter
    def layer(self, top: Any) -> None:
        self._holding = Holding(top, self)

    def takes_in_place(self, hook: commands.StartHook) -> bool:
        """Whether ``hook`` can run in place: only plain functions take it, and no hook of
        this connection waits in a task (it would have run first)."""
        plain = getattr(self.master.addons, "plain_only", None)
        return plain is not None and not self.hook_tasks and plain(hook)

    async def server_event(self, event: events.Event) -> None:
        await super().server_event(event)
        held = self._held
        while held:
            hook = held.popleft()
            args = hook.args()
            later = cast(Any, self.master.addons).run_lifecycle_now(hook, args)  # a HookTable's
            data = args[0]
            if later is not None or (isinstance(data, flow.Flow) and data.intercepted):
                task = asyncio_utils.create_task(
                    self._finish(hook, later), name=f"handle_hook({hook.name})",
                    client=self.client.peername,
                )  # fmt: skip
                self.hook_tasks.add(task)
                task.add_done_callback(self.hook_tasks.discard)
            elif hook.blocking:
                await super().server_event(events.HookCompleted(hook))

    async def _finish(
        self, hook: commands.StartHook, later: Coroutine[Any, Any, None] | None
    ) -> None:
        """The rest of a hook that turned out to wait, as mitmproxy's ``hook_task``."""
        with self.timeout_watchdog.disarm():
            if later is not None:
                await later
            (data,) = hook.args()
            if isinstance(data, flow.Flow):
                await data.wait_for_resume()
        if hook.blocking:
            await self.server_event(events.HookCompleted(hook))


class Holding:
    """The top layer as the handler sees it: its commands, less the hooks held back."""

    def __init__(self, top: Any, handler: Handler) -> None:
        self.top, self.handler = top, handler

    def __getattr__(self, name: str) -> Any:
        return getattr(self.top, name)

    def handle_event(self, event: events.Event) -> Iterator[commands.Command]:
        tasked = False  # a hook of this event went to a task: the later ones follow it there
        for command in self.top.handle_event(event):
            if isinstance(command, commands.StartHook):
                if not tasked and self.handler.takes_in_place(command):
                    self.handler._held.append(command)
                    continue
                tasked = True
            yield command
