"""mitmproxy's development checks, left out of the lean master's hot path.

mitmproxy runs two checks on every request that only its own development needs, both skipped
under ``python -O`` (they sit behind ``if __debug__``):

* every HTTP message it builds checks each field against its annotation
  (``MessageData.__post_init__``, through ``typecheck.check_option_type``): the parser and
  the addons' ``Response.make`` already give the right types;
* every task it starts (one per hook, per connection) reads ``PYTEST_CURRENT_TEST`` from the
  environment, to name the task after the test running it.

Together about 11 % of the proxy's CPU time per request (``bench/peers.py``: warned page,
passthrough and redirect alike), as much as running all of it under ``-O``. ``-O`` would also
strip every ``assert`` of every library in the process; this takes out only these two.
"""

from __future__ import annotations

import time
from typing import Any

from mitmproxy import http
from mitmproxy.utils import asyncio_utils


def skip() -> None:
    """Leave both checks out from now on (for messages and tasks made after this call)."""
    http.MessageData.__post_init__ = _unchecked  # type: ignore[method-assign]
    asyncio_utils.set_task_debug_info = set_task_debug_info


def _unchecked(self: Any) -> None:
    """The fields are not checked (``python -O`` does not define this method at all)."""


def set_task_debug_info(task: Any, *, name: str, client: tuple[Any, ...] | None = None) -> None:
    """mitmproxy's, without the test's name: its age, name and client, for its task dumps."""
    task.created = time.time()
    task.set_name(name)
    if client:
        task.client = client
