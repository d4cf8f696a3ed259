"""Why the large-list index is a dict of hashes and not a sorted array of them, measured.

    .venv/bin/python bench/index_choice.py            # 5,000,000 names, as bench/classify.py

A sorted ``array('Q')`` of the 60-bit keys would hold five million names in 40 MB instead of
about 330 MB, but without numpy the keys are sorted as Python ints and looked up with
``bisect``; this prints, for the same names, the CPU time of building the engine's dict index
(``HashedDomains``) and of building the sorted array of the keys alone (a lower bound: the
platform numbers would still have to follow the keys), and the cost of one look-up in each.
It also builds the whole compact layout (``Compact``: keys and numbers sorted together, bucket
offsets, a bitmap prefilter) and times ``get`` on names listed and not listed beside the dict's.
"""

from __future__ import annotations

import argparse
import array
import bisect
import sys
import time
from itertools import accumulate, repeat
from operator import and_
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policy_lists.hashed import _KEY_BITS, HashedDomains

BITMAP_BITS = 27  # 16 MB: a name not listed passes this filter with odds n / 2**27
BUCKET_BITS = 20  # the key's top bits choose a bucket of about n / 2**20 keys


class Compact:
    """The compact layout measured against the dict: every key and its add number packed as
    ``key << 20 | number`` and sorted (Python's sort, the only C sort the standard library
    has), the keys kept in one ``array('Q')`` with bucket offsets for ``bisect``, fronted by a
    bitmap of other key bits so that a miss usually costs one bit test."""

    def __init__(self, texts: list[str]) -> None:
        packed = []
        for number, text in enumerate(texts):
            keys = map(and_, map(hash, text.split("\n")), repeat(_KEY_BITS))
            packed.extend(key << 20 | number for key in keys)
        packed.sort()
        self.keys = array.array("Q", (p >> 20 for p in packed))
        self.numbers = array.array("I", (p & 0xFFFFF for p in packed))
        del packed
        counts = array.array("I", bytes(4 * ((1 << BUCKET_BITS) + 1)))
        self.bits = bytearray(1 << (BITMAP_BITS - 3))
        low = (1 << BITMAP_BITS) - 1
        for key in self.keys:
            counts[(key >> (60 - BUCKET_BITS)) + 1] += 1
            bit = key & low
            self.bits[bit >> 3] |= 1 << (bit & 7)
        self.offsets = array.array("I", accumulate(counts))

    def get(self, name: str) -> int | None:
        key = hash(name) & _KEY_BITS
        bit = key & ((1 << BITMAP_BITS) - 1)
        if not self.bits[bit >> 3] >> (bit & 7) & 1:
            return None
        bucket = key >> (60 - BUCKET_BITS)
        end = self.offsets[bucket + 1]
        # the last of equal keys is the last added (the packed sort kept add order among them)
        at = bisect.bisect_right(self.keys, key, self.offsets[bucket], end) - 1
        if at >= self.offsets[bucket] and self.keys[at] == key:
            return int(self.numbers[at])
        return None

    def nbytes(self) -> int:
        sizes = (len(a) * a.itemsize for a in (self.keys, self.numbers, self.offsets))
        return sum(sizes) + len(self.bits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=5_000_000)
    args = parser.parse_args()
    texts = [
        "\n".join(f"host{p}-{d}.example-{p % 97}.com" for d in range(1000))
        for p in range(args.domains // 1000)
    ]
    start = time.process_time()
    index = HashedDomains()
    for number, text in enumerate(texts):
        index.add(text, number)
    dict_seconds = time.process_time() - start

    start = time.process_time()
    keys = [k for t in texts for k in map(and_, map(hash, t.split("\n")), repeat(_KEY_BITS))]
    keys.sort()
    ordered = array.array("Q", keys)
    del keys
    sort_seconds = time.process_time() - start

    start = time.process_time()
    compact = Compact(texts)
    compact_seconds = time.process_time() - start
    assert compact.get("host3-5.example-3.com") == 3 == index.get("host3-5.example-3.com")

    probes = [hash(f"www.host{i}.example-{i % 97}.com") & _KEY_BITS for i in range(300_000)]
    table = index._numbers
    start = time.perf_counter()
    for key in probes:
        table.get(key)
    get_ns = (time.perf_counter() - start) / len(probes) * 1e9
    start = time.perf_counter()
    for key in probes:
        bisect.bisect_left(ordered, key)
    bisect_ns = (time.perf_counter() - start) / len(probes) * 1e9
    misses = [f"www.host{i}.example-{i % 97}.com" for i in range(300_000)]
    hits = [
        f"host{i % len(texts)}-{i % 1000}.example-{i % len(texts) % 97}.com" for i in range(300_000)
    ]
    per_get = {}
    for name, get in (("dict", index.get), ("compact", compact.get)):
        for kind, names in (("miss", misses), ("hit", hits)):
            start = time.perf_counter()
            for host in names:
                get(host)
            per_get[name, kind] = (time.perf_counter() - start) / len(names) * 1e9
    print(
        f"compact index (bitmap of 2^{BITMAP_BITS} bits, 2^{BUCKET_BITS} buckets of a sorted "
        f"array('Q')): build {compact_seconds:.2f} s CPU, {compact.nbytes() / 1e6:.0f} MB; "
        f"get, loop and string hash included: miss {per_get['compact', 'miss']:.0f} ns, hit "
        f"{per_get['compact', 'hit']:.0f} ns; dict index: miss {per_get['dict', 'miss']:.0f} ns, "
        f"hit {per_get['dict', 'hit']:.0f} ns"
    )
    print(
        f"{len(index):,} names: dict index {dict_seconds:.2f} s CPU, sorted array('Q') of the "
        f"keys alone {sort_seconds:.2f} s CPU ({len(ordered) * 8 / 1e6:.0f} MB); one look-up: "
        f"dict {get_ns:.0f} ns, bisect on the array {bisect_ns:.0f} ns"
    )


if __name__ == "__main__":
    main()
