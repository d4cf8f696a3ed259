"""``staffguard extension zip``: the browser extension as a zip for the Chrome Web Store or a
self-hosted update, built the same way every time (sorted entries, fixed timestamps)."""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

EXTENSION = Path(__file__).resolve().parents[1] / "extension"
LEFT_OUT = {"tests"}


def build_zip(out: Path | str, source: Path = EXTENSION) -> Path:
    """Zip ``source`` (without its tests) into ``out``; the same input gives the same bytes."""
    out = Path(out)
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(
        p
        for p in source.rglob("*")
        if p.is_file() and not (set(p.relative_to(source).parts) & LEFT_OUT)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    print(f"StaffGuard extension {manifest['version']}: {out} ({len(files)} files)")
    return out


def register(sub: argparse._SubParsersAction, groups: object = None) -> None:
    extension = sub.add_parser("extension", help="the browser extension").add_subparsers(
        metavar="ACTION"
    )
    zip_ = extension.add_parser("zip", help="build the extension zip")
    zip_.add_argument("--out", default="dist/staffguard-extension.zip")
    zip_.set_defaults(handler=lambda args: build_zip(args.out) and 0)
