"""Check a chunk of a ``domains_file`` at once, in a handful of scans that run in C.

Checking five million names one by one (``normalize_domain``, ``is_public_suffix``) took most
of a large list's load. Nearly every line of a real list is already a plain lowercase name, so
a chunk is first checked whole: :func:`all_plain` says True only when every line is a name that
``normalize_domain`` keeps as it is and that is no public suffix. Any doubt (a comment, a blank
line, capitals, a very long name, a name under a wildcard suffix) answers False, and the caller
reads that chunk line by line as before, so its problems still name their lines.

>>> all_plain("www.example.com\\nexample.org"), all_plain("example.com\\nco.uk")
(True, False)
>>> all_plain("Example.com"), all_plain("example.com # a comment"), all_plain("-a.example")
(False, False, False)
"""

from __future__ import annotations

import re
from functools import cache

from ..domains import suffix_rules

_ALLOWED = b"abcdefghijklmnopqrstuvwxyz0123456789.-_\n"
# A label that starts or ends badly, an empty label, an empty line.
_BAD_PAIRS = ("..", ".\n", "\n.", "-.", ".-", "\n-", "_.", "._", "\n_", "_\n", "-\n", "\n\n")
_DOTLESS_LINE = re.compile(r"\n[^.\n]*\n")
_SHORT_TOP_LABEL = re.compile(r"\.[^.\n]?\n")
_UNDERSCORE_TOP_LABEL = re.compile(r"_[^.\n]*\n")
_LONGEST_LINE = 63  # a longer line may hold a label over 63 characters: read it line by line


def all_plain(chunk: str) -> bool:
    """Whether every line of ``chunk`` is a plain domain name a platform can own."""
    if not chunk or not chunk.isascii() or chunk.encode().translate(None, _ALLOWED):
        return False
    framed = f"\n{chunk}\n"
    if any(pair in framed for pair in _BAD_PAIRS):
        return False
    if (
        _DOTLESS_LINE.search(framed)
        or _SHORT_TOP_LABEL.search(framed)
        or _UNDERSCORE_TOP_LABEL.search(framed)
    ):
        return False
    lines = chunk.split("\n")
    if max(map(len, lines)) > _LONGEST_LINE:
        return False
    exact, _, _ = suffix_rules()
    return exact.isdisjoint(lines) and not _under_wildcard().search(framed)


@cache
def _under_wildcard() -> re.Pattern[str]:
    """A line one label under a wildcard suffix (``*.ck``): maybe a public suffix itself."""
    _, parents, _ = suffix_rules()
    names = "|".join(re.escape(p) for p in sorted(parents, key=len, reverse=True))
    return re.compile(rf"\n[^.\n]+\.(?:{names})(?=\n)")
