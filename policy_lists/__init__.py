"""StaffGuard's policy engine: platform lists, layering, and the verdict for a URL.

>>> from policy_lists import load_policy
>>> policy = load_policy()  # the shipped defaults; pass sources to layer a district's lists
>>> policy.classify("tiktok.com/messages").action
'warn'
"""

from __future__ import annotations

from pathlib import Path

from .compiler import compile_documents
from .domains import registrable_domain
from .engine import Policy, Verdict
from .loader import DEFAULTS, read_source, read_text
from .schema import PolicyError

__all__ = [
    "DEFAULTS",
    "Policy",
    "PolicyError",
    "Verdict",
    "compile_sources",
    "load_policy",
    "read_text",
    "registrable_domain",
]


def compile_sources(*sources: str | Path) -> dict:
    """The compiled policy document for sources in layering order (defaults when none)."""
    return compile_documents([read_source(s) for s in (sources or (DEFAULTS,))])


def load_policy(*sources: str | Path, keep_listed_text: bool = True) -> Policy:
    """A Policy from sources in layering order; with none, the shipped defaults.
    ``keep_listed_text``: see :class:`Policy` (False lowers a big list's peak memory)."""
    return Policy(compile_sources(*sources), keep_listed_text=keep_listed_text)
