"""The first bytes of a request body as the application wrote them: ``Content-Encoding`` undone,
never inflated past a cap.

An LMS editor may compress what it saves (``CompressionStream`` gives gzip and deflate; an API
client may send br or zstd), and its links are only readable decoded. A small body can inflate
to gigabytes, so each decoder is asked for at most ``limit + 1`` bytes and stopped there:

- gzip, deflate (zlib-wrapped or raw, as browsers disagree): ``zlib``'s ``max_length``, exact;
- zstd: ``zstandard``'s stream reader, exact, with an 8 MiB window at most (a frame asking for
  more is refused, never allocated);
- br: the installed brotli (1.1, the newest mitmproxy 11 accepts) has no output limit, so the
  input is fed 16 bytes at a time and decoding stops once the cap is passed. One step can
  still produce one brotli meta-block (at most 16 MiB), held for an instant: a 158-byte body
  that inflates to 100 MB costs ~22 MB for ~50 ms (bench/lms_stall.py), not 100 MB. Brotli 1.2's
  ``output_buffer_limit`` would make it exact once mitmproxy accepts that version.

Only the first ``limit + limit/8 + 1 KiB`` compressed bytes are read: compressed text is never
much longer than the text, so a body padded past that cannot cost more time either.

A body that will not decode, or an encoding we do not know, is read as it came (the notice may
then not be shown; nothing else changes: the request always goes on untouched).
"""

from __future__ import annotations

import io
import logging
import zlib

import brotli
import zstandard
from mitmproxy import http

log = logging.getLogger(__name__)

BROTLI_STEP = 16  # input bytes per brotli step: 1 is no safer (one step, one meta-block)
ZSTD_WINDOW = 1 << 23  # zstd's own default allows 128 MiB


def _zlib(data: bytes, wbits: int, limit: int) -> bytes:
    return zlib.decompressobj(wbits).decompress(data, limit + 1)


def _deflate(data: bytes, limit: int) -> bytes:
    try:
        return _zlib(data, zlib.MAX_WBITS, limit)
    except zlib.error:
        return _zlib(data, -zlib.MAX_WBITS, limit)


def _brotli(data: bytes, limit: int) -> bytes:
    decoder, out = brotli.Decompressor(), bytearray()
    for start in range(0, len(data), BROTLI_STEP):
        out += decoder.process(data[start : start + BROTLI_STEP])
        if len(out) > limit:
            break
    return bytes(out[: limit + 1])


def _zstd(data: bytes, limit: int) -> bytes:
    decoder = zstandard.ZstdDecompressor(max_window_size=ZSTD_WINDOW)
    with decoder.stream_reader(io.BytesIO(data)) as reader:
        return reader.read(limit + 1)


DECODERS = {
    "gzip": lambda data, limit: _zlib(data, 16 + zlib.MAX_WBITS, limit),
    "x-gzip": lambda data, limit: _zlib(data, 16 + zlib.MAX_WBITS, limit),
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}


def decode(data: bytes, encoding: str, limit: int) -> bytes:
    """``data`` with ``encoding`` (a ``Content-Encoding`` value, codings in the order applied)
    undone, at most ``limit`` bytes of it. ValueError when it will not decode or a coding is
    unknown."""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        decoder = DECODERS.get(coding)
        if decoder is None:
            raise ValueError(f"unknown content coding {coding!r}")
        try:  # compressed text is never much longer than the text: the rest is not read
            data = decoder(data[: limit + limit // 8 + 1024], limit)
        except (zlib.error, brotli.error, zstandard.ZstdError) as error:
            raise ValueError(f"{coding} body will not decode: {error}") from error
    return data[:limit]


def request_body(req: http.Request, limit: int) -> bytes | None:
    """The first ``limit`` bytes of ``req``'s body, decoded (see the module docstring)."""
    raw = req.raw_content
    if not raw:
        return None
    encoding = req.headers.get("content-encoding", "")
    if not encoding:
        return raw[:limit]
    try:
        return decode(raw, encoding, limit)
    except ValueError as error:
        log.info("staffguard: %s read as sent (%s)", req.pretty_url.split("?")[0], error)
        return raw[:limit]
