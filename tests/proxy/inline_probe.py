"""Test-only mitmproxy script: hooks of each kind ``proxy_addons.inline`` tells apart, each
answering requests for one ``*.inline.invalid`` host with what it saw.

* ``task``: the name of the task a plain ``request`` hook ran in;
* ``async``: an ``async def requestheaders`` (which needs a task) ran before ``request``;
  that addon comes only with ``--set inline_probe_async=true`` (added once the option is
  set, as a script reloaded adds its addons);
* ``awaits``: a plain ``request`` returned a coroutine, which was awaited;
* ``intercept``: a plain ``request`` intercepted the flow; the answer waits for its resume;
* ``fault``: a plain ``request`` raised; the next addon's ``request`` still answers;
* ``halt``: a plain ``request`` answered and raised AddonHalt; the next one never ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from mitmproxy import ctx, exceptions, http

SUFFIX = ".inline.invalid"


def _kind(flow: http.HTTPFlow) -> str:
    host = flow.request.pretty_host
    return host.removesuffix(SUFFIX) if host.endswith(SUFFIX) else ""


def _answer(flow: http.HTTPFlow, text: str) -> None:
    flow.response = http.Response.make(200, text, {"Content-Type": "text/plain"})


class Waiting:
    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        if _kind(flow) == "async":
            await asyncio.sleep(0.01)
            flow.metadata["inline_probe"] = "requestheaders ran"


class First:
    def __init__(self) -> None:
        self.waiting: Waiting | None = None

    def load(self, loader: Any) -> None:
        loader.add_option("inline_probe_async", bool, False, "add an async requestheaders")

    def configure(self, updated: set[str]) -> None:
        if ctx.options.inline_probe_async and self.waiting is None:
            self.waiting = Waiting()
            ctx.master.addons.add(self.waiting)

    def request(self, flow: http.HTTPFlow) -> Coroutine[Any, Any, None] | None:
        kind = _kind(flow)
        if kind == "fault":
            raise RuntimeError("inline probe: a fault in a plain hook")
        if kind == "halt":
            _answer(flow, "halted")
            raise exceptions.AddonHalt
        if kind == "awaits":
            return self._later(flow)
        if kind == "intercept":
            flow.intercept()
            asyncio.get_running_loop().call_later(0.05, self._resume, flow)
        return None

    async def _later(self, flow: http.HTTPFlow) -> None:
        await asyncio.sleep(0.05)
        _answer(flow, "awaited")

    def _resume(self, flow: http.HTTPFlow) -> None:
        _answer(flow, "resumed")
        flow.resume()


class Second:
    def request(self, flow: http.HTTPFlow) -> None:
        kind = _kind(flow)
        task = asyncio.current_task()
        if kind == "task":
            _answer(flow, task.get_name() if task else "")
        elif kind == "async":
            _answer(flow, flow.metadata.get("inline_probe", "requestheaders did not run"))
        elif kind == "fault":
            _answer(flow, "after the fault")
        elif kind == "halt":
            _answer(flow, "not halted")


addons = [First(), Second()]
