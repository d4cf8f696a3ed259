"""The large-list index's two layouts, and the compact one without numpy, measured.

    .venv/bin/python bench/index_choice.py            # 5,000,000 names, as bench/classify.py

``HashedDomains`` keeps a small index as a dict of 60-bit keys (about 70 bytes a name) and,
from ``COMPACT_FROM`` names on, a numpy-sorted array of 63-bit keys with bucket offsets and a
bitmap prefilter (11 to 14 bytes a name). This prints, for the same names, each layout's build
CPU time, the RSS it adds, and the cost of ``get`` on names listed and not listed. It also
builds the compact layout with the standard library alone (``Compact``: keys and add numbers
packed and sorted as Python ints, the bitmap and bucket counts filled by a Python loop), the
reason the compact layout sorts with numpy.
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
from policy_lists.memory import give_back

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


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=5_000_000)
    parser.add_argument("--no-stdlib", action="store_true", help="skip the slow Compact build")
    args = parser.parse_args()
    import numpy  # noqa: F401  (imported first: its modules are not the compact layout's memory)

    texts = [
        "\n".join(f"host{p}-{d}.example-{p % 97}.com" for d in range(1000))
        for p in range(args.domains // 1000)
    ]
    misses = [f"www.host{i}.example-{i % 97}.com" for i in range(300_000)]
    hits = [
        f"host{i % len(texts)}-{i % 1000}.example-{i % len(texts) % 97}.com" for i in range(300_000)
    ]
    for name, compact_from in (("dict", 1 << 62), ("numpy compact", 1)):
        before = rss_mb()
        start = time.process_time()
        index = HashedDomains(compact_from)
        for number, text in enumerate(texts):
            index.add(text, number)
        index.seal()
        seconds = time.process_time() - start
        give_back()
        added = rss_mb() - before
        assert index.get("host3-5.example-3.com") == 3
        per_get = {}
        for kind, names in (("miss", misses), ("hit", hits)):
            start = time.perf_counter()
            for host in names:
                index.get(host)
            per_get[kind] = (time.perf_counter() - start) / len(names) * 1e9
        print(
            f"{len(index):,} names, {name} layout: build {seconds:.2f} s CPU, RSS +{added:.0f} MB; "
            f"get, loop and string hash included: miss {per_get['miss']:.0f} ns, "
            f"hit {per_get['hit']:.0f} ns",
            flush=True,
        )
        del index
        give_back()
    if args.no_stdlib:
        return
    start = time.process_time()
    compact = Compact(texts)
    compact_seconds = time.process_time() - start
    assert compact.get("host3-5.example-3.com") == 3
    print(
        f"the compact layout without numpy (bitmap of 2^{BITMAP_BITS} bits, 2^{BUCKET_BITS} "
        f"buckets of a sorted array('Q')): build {compact_seconds:.2f} s CPU, "
        f"{compact.nbytes() / 1e6:.0f} MB"
    )


if __name__ == "__main__":
    main()
