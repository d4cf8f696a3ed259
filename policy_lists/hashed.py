"""Domain -> number for lists of millions of names, held as hashes instead of strings.

A district's own block list or a category feed can hold millions of domains. As a dict of
strings each one costs about 180 bytes (the string object, its hash and the table slot), and
building the strings one by one in Python takes most of a load. Here a list arrives as one
newline-joined text; each name becomes a 60-bit key taken from Python's own string hash (SipHash,
keyed afresh in every process), computed in bulk by C code a chunk at a time, so no more than a
chunk's strings exist at once and a listed domain costs about 70 bytes.

A look-up of a name that is not listed matches a listed key by accident with probability
n / 2**60 per look-up: about 4e-12 for 5,000,000 domains, so a district that looks up a million
distinct names a day would meet one false match in some 600 years. Because the key changes with
every process, no name can be crafted to collide, and no false match outlives a restart.

>>> listed = HashedDomains()
>>> listed.add("a.example\\nb.example", 0)
>>> listed.get("b.example"), listed.get("c.example")
(0, None)
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import repeat
from operator import and_

_KEY_BITS = (1 << 60) - 1  # two 30-bit digits: a smaller int object than the full 64 bits
CHUNK_CHARS = 1 << 20  # strings made at once while hashing: a chunk's lines, about 40,000


class HashedDomains:
    """Listed domain -> number; a later ``add`` of the same domain replaces the number."""

    def __init__(self) -> None:
        self._numbers: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._numbers)

    def add(self, text: str, number: int) -> None:
        """Add every line of ``text`` (lowercase names, one a line, already checked)."""
        for chunk in text_chunks(text):
            keys = map(and_, map(hash, chunk.split("\n")), repeat(_KEY_BITS))
            self._numbers.update(dict.fromkeys(keys, number))

    def get(self, name: str) -> int | None:
        return self._numbers.get(hash(name) & _KEY_BITS)


def text_chunks(text: str, size: int = CHUNK_CHARS) -> Iterator[str]:
    """``text`` in pieces of about ``size`` characters, each of whole lines (no newline at
    either end), so that no more than a piece's lines are ever split into strings at once."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def first_line(text: str) -> str:
    """The text up to its first newline. Not ``partition``: that copies all the rest, the
    whole of a five-million-name list but its first name."""
    end = text.find("\n")
    return text if end < 0 else text[:end]
