"""Ports and waiting: a free local port, a port that starts listening, a condition that comes
true. One definition each for every test and bench (they were copied into six files)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A local TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    """Return once something accepts connections on ``port``; RuntimeError at once if ``proc``
    (the process meant to listen) exits, TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


def until(condition: Callable[[], T], timeout: float = 20.0, interval: float = 0.1) -> T:
    """The first true value ``condition()`` gives; AssertionError if none comes in time.

    Tests wait on what they observe (an event stored, a page served) rather than sleeping a
    fixed time and hoping."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met in {timeout:g} s")
        time.sleep(interval)
