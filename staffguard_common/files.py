"""Writing files so that a crash or a full disk never leaves a half-written one behind."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, BinaryIO


def write_atomic(path: Path, data: bytes | str, *, private: bool = False) -> None:
    """Replace ``path`` with ``data`` all at once: written to a temporary file beside it, synced,
    then renamed over it. A reader sees the old content or the new, never a part; an OSError
    (full disk, read-only directory) leaves the old file untouched. ``private``: mode 0600."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with _replacing(path, private) as f:
        f.write(raw)


def write_atomic_json(path: Path, value: Any) -> None:
    """``write_atomic`` of ``value`` as ``json.dumps`` writes it, encoded piece by piece into
    the file: a policy with a big list is ~150 MB of JSON, which ``json.dumps`` and ``encode``
    would hold twice over in memory beside the policy itself. A string longer than a slice (one
    big list's names) is encoded a slice at a time: whole, its JSON text and that text's bytes
    would be two more copies of it."""
    long: list[str] = []
    marker = f"\x00{secrets.token_hex(8)}:"  # in no string of the value: a fresh random token
    quoted = json.dumps(marker)[:-1]
    found = re.compile(re.escape(quoted) + r'(\d+)"')
    with _replacing(path, False) as f:
        text = io.TextIOWrapper(f, encoding="utf-8", write_through=False)
        for chunk in json.JSONEncoder().iterencode(_set_aside(value, long, marker)):
            if quoted not in chunk:
                text.write(chunk)
                continue
            written = 0
            for mark in found.finditer(chunk):
                text.write(chunk[written : mark.start()])
                _write_quoted(text, long[int(mark.group(1))])
                written = mark.end()
            text.write(chunk[written:])
        text.flush()
        text.detach()


def _write_quoted(text: io.TextIOWrapper, value: str) -> None:
    text.write('"')
    for start in range(0, len(value), _SLICE):
        text.write(encode_basestring_ascii(value[start : start + _SLICE])[1:-1])
    text.write('"')


_SLICE = 1 << 20  # characters of a long string encoded at once


def _set_aside(value: Any, long: list[str], marker: str) -> Any:
    """``value`` with each string longer than a slice replaced by ``marker`` and its number in
    ``long``; only the dicts and lists on the way to one are copied."""
    if isinstance(value, str):
        if len(value) <= _SLICE:
            return value
        long.append(value)
        return f"{marker}{len(long) - 1}"
    if isinstance(value, dict):
        items = {k: _set_aside(v, long, marker) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items
    if isinstance(value, list | tuple):
        parts = [_set_aside(v, long, marker) for v in value]
        return value if all(p is v for p, v in zip(parts, value, strict=True)) else parts
    return value


@contextlib.contextmanager
def _replacing(path: Path, private: bool) -> Iterator[BinaryIO]:
    """A file to write ``path``'s new content to; renamed over ``path`` once synced."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def secret_file(path: Path, min_length: int = 32) -> str:
    """The secret kept in ``path``, made (64 random hex digits, mode 0600) when the file is
    missing or shorter than ``min_length``: a weak key is replaced, never used. OSError when
    the directory cannot keep it; the caller chooses what a key in memory means for it."""
    try:
        kept = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        kept = ""
    if len(kept) >= min_length:
        return kept
    write_atomic(path, secrets.token_hex(32), private=True)
    return path.read_text(encoding="utf-8").strip()
