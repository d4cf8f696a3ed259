"""Check a chunk of a ``domains_file`` at once, in three scans that run in C.

Checking five million names one by one (``normalize_domain``, ``is_public_suffix``) took most
of a large list's load. Nearly every line of a real list is already a plain lowercase name, so
a chunk is first checked whole: :func:`all_plain` says True only when every line is a name that
``normalize_domain`` keeps as it is and that is no public suffix. Any doubt (a comment, a blank
line, capitals, a name one label under a wildcard suffix such as ``*.ck``) answers False, and
the caller reads that chunk line by line as before, so its problems still name their lines.

>>> all_plain("www.example.com\\nexample.org"), all_plain("example.com\\nco.uk")
(True, False)
>>> all_plain("Example.com"), all_plain("example.com # a comment"), all_plain("-a.example")
(False, False, False)
"""

from __future__ import annotations

import re
from itertools import repeat
from operator import itemgetter

from ..domains import suffix_rules
from .values import PLAIN_DOMAIN

# Lines of plain names, each line in an atomic group: a line is matched one way or not at all,
# so the scan is linear in the chunk (without the groups, backtracking across lines takes
# minutes on a large file).
_LINES = re.compile(rf"(?>{PLAIN_DOMAIN})(?:\n(?>{PLAIN_DOMAIN}))*+")


def all_plain(chunk: str) -> bool:
    """Whether every line of ``chunk`` is a plain domain name a platform can own."""
    if not _LINES.fullmatch(chunk):
        return False
    lines = chunk.split("\n")
    exact, wildcard_parents, _ = suffix_rules()
    parents = map(itemgetter(2), map(str.partition, lines, repeat(".")))
    return exact.isdisjoint(lines) and wildcard_parents.isdisjoint(parents)
