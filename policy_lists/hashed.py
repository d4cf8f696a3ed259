"""Domain -> number for lists of millions of names, held as hashes instead of strings.

A district's own block list or a category feed can hold millions of domains. As a dict of
strings each one costs about 180 bytes (the string object, its hash and the table slot), and
building the strings one by one in Python takes most of a load. Here a list arrives as one
newline-joined text; each name becomes a key taken from Python's own string hash (SipHash, keyed
afresh in every process), computed in bulk by C code a chunk at a time into an array of 8 bytes
a name, so no more than a chunk's strings exist at once.

Once every list is added, ``seal`` builds what look-ups read. A small index (the shipped lists,
a feed of a few thousand names) is a dict from a 60-bit key to the number: about 70 bytes a name.
From ``COMPACT_FROM`` names on it is a sorted array of 63-bit keys and one of numbers, fronted by
a bitmap that answers most names not listed and by the offsets of 2^k buckets of the sorted keys
(a look-up bisects a handful of keys): 11 to 16 bytes a name, sorted by numpy in C (the dict's
int objects would be 330 MB at five million names; sorting them in Python takes seconds).

A look-up of a name that is not listed matches a listed key by accident with probability
n / 2**60 per look-up (or less: 2**63 for the compact index): about 4e-12 for 5,000,000 domains,
so a district that looks up a million distinct names a day would meet one false match in some
600 years. Because the key changes with every process, no name can be crafted to collide, and
no false match outlives a restart.

>>> listed = HashedDomains()
>>> listed.add("a.example\\nb.example", 0)
>>> listed.get("b.example"), listed.get("c.example")
(0, None)
"""

from __future__ import annotations

import logging
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from operator import and_

from .memory import give_back

log = logging.getLogger(__name__)

_KEY_BITS = (1 << 60) - 1  # two 30-bit digits: a smaller int object than the full 64 bits
_WIDE_KEY_BITS = (1 << 63) - 1  # the compact index's keys: numpy's int64, never negative
CHUNK_CHARS = 1 << 20  # strings made at once while hashing: a chunk's lines, about 40,000
COMPACT_FROM = 1 << 18  # names: below this the dict costs less than importing numpy (~15 MB)
_BITMAP_BITS_PER_NAME = 16  # at least: 1 - e**(-1/16), 6% of names not listed pass on

Lookup = Callable[[str], "int | None"]


class HashedDomains:
    """Listed domain -> number; a later ``add`` of the same domain replaces the number."""

    def __init__(self, compact_from: int | None = None) -> None:
        self._compact_from = COMPACT_FROM if compact_from is None else compact_from
        self._keys = array("q")  # every added name's hash, in the order added
        self._runs: list[tuple[int, int]] = []  # (end in _keys, number) per add
        self._size = 0
        self._sealed = False
        self.get: Lookup = self._get_unsealed

    def __len__(self) -> int:
        self.seal()
        return self._size

    def add(self, text: str, number: int) -> None:
        """Add every line of ``text`` (lowercase names, one a line, already checked)."""
        if self._sealed:
            raise RuntimeError("a sealed HashedDomains takes no more names")
        for chunk in text_chunks(text):
            self._keys.extend(map(hash, chunk.split("\n")))
        self._runs.append((len(self._keys), number))

    def seal(self) -> None:
        """Build the index that look-ups read; ``get`` and ``len`` seal an unsealed index."""
        if self._sealed:
            return
        self._sealed = True
        runs, self._runs = self._runs, []
        if len(self._keys) >= max(self._compact_from, 1):
            try:
                import numpy  # noqa: F401  (only a big list needs it)
            except ImportError as error:  # a broken install: more memory, the same answers
                log.warning(
                    "staffguard: numpy missing (%s); a big list's index takes a dict", error
                )
            else:
                # the added keys passed on, not kept here: the sort frees them once it has a copy
                self._size, self.get = _compact_lookup(self._take_keys(), runs)
                give_back()  # the sort's transient arrays
                return
        numbers: dict[int, int] = {}
        start = 0
        for end, number in runs:
            keys = self._keys[start:end]
            numbers.update(dict.fromkeys(map(and_, keys, repeat(_KEY_BITS)), number))
            start = end
        self._keys = array("q")
        self._size = len(numbers)
        self.get = _dict_lookup(numbers)

    def _take_keys(self) -> array[int]:
        keys, self._keys = self._keys, array("q")
        return keys

    def _get_unsealed(self, name: str) -> int | None:
        self.seal()
        return self.get(name)


def _dict_lookup(numbers: dict[int, int]) -> Lookup:
    def get(name: str) -> int | None:
        return numbers.get(hash(name) & _KEY_BITS)

    return get


def _compact_lookup(added: array[int], runs: Sequence[tuple[int, int]]) -> tuple[int, Lookup]:
    """The keys sorted once by numpy (imported only for a big list), then searched from Python
    through memoryviews: a look-up makes no numpy object."""
    import numpy as np

    keys = np.frombuffer(added, dtype=np.int64)  # the added array itself, sorted in place
    del added
    np.bitwise_and(keys, _WIDE_KEY_BITS, out=keys)
    one = {number for _, number in runs}
    if len(one) == 1:  # one list (a district's block list, one feed): no number kept a name
        keys.sort()
        numbers = None
    else:
        order = np.argsort(keys, kind="stable")  # the later of two equal keys sorts last
        keys = keys[order]
        wide = max(one) >= 1 << 16
        ends = np.array([end for end, _ in runs], dtype=np.int64)
        numbers = np.repeat(
            np.array([n for _, n in runs], dtype=np.uint32 if wide else np.uint16),
            np.diff(ends, prepend=0),
        )[order]
        del order
    last = np.ones(len(keys), dtype=bool)  # of equal keys, the one added last keeps its number
    np.not_equal(keys[1:], keys[:-1], out=last[:-1])
    if not last.all():
        keys = keys[last]
        numbers = None if numbers is None else numbers[last]
    del last
    size = len(keys)

    bucket_bits = max(4, size.bit_length() - 2)  # 2 to 4 keys a bucket
    shift = 63 - bucket_bits
    offsets = np.zeros((1 << bucket_bits) + 1, dtype=np.uint32)
    offsets[1:] = np.cumsum(np.bincount(keys >> shift, minlength=1 << bucket_bits))

    # 16 to 32 bits a name (a power of two), set at each key's top bits: the keys are sorted,
    # so the keys that share a byte of the map are neighbours, their bits or-ed in one pass
    map_shift = 63 - max(16, (size * _BITMAP_BITS_PER_NAME).bit_length())
    spots = keys >> map_shift
    bit_values = np.left_shift(np.uint8(1), (spots & 7).astype(np.uint8))
    np.right_shift(spots, 3, out=spots)
    firsts = np.flatnonzero(np.concatenate(([True], spots[1:] != spots[:-1])))
    bitmap = np.zeros(1 << (63 - map_shift - 3), dtype=np.uint8)
    bitmap[spots[firsts]] = np.bitwise_or.reduceat(bit_values, firsts)
    del spots, bit_values, firsts
    bits = bitmap.tobytes()
    del bitmap
    sorted_keys, starts = keys.data, offsets.data  # memoryviews: items read as Python ints
    numbers_at = numbers.data if numbers is not None else None
    only = next(iter(one))

    def get(name: str) -> int | None:
        key = hash(name) & _WIDE_KEY_BITS
        spot = key >> map_shift
        if not bits[spot >> 3] >> (spot & 7) & 1:
            return None
        bucket = key >> shift
        high = starts[bucket + 1]
        at = bisect_left(sorted_keys, key, starts[bucket], high)
        if at < high and sorted_keys[at] == key:
            return only if numbers_at is None else numbers_at[at]
        return None

    return size, get


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
