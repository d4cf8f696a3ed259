"""``staffguard extension zip``: the extension as a zip, the same bytes from the same files."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from admin_web.extension_package import EXTENSION, build_zip

STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))


def test_the_zip_holds_the_extension_without_its_tests_and_is_reproducible(tmp_path):
    first = build_zip(tmp_path / "a" / "ext.zip")
    second = build_zip(tmp_path / "b" / "ext.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert names == sorted(names)
    assert {"manifest.json", "service_worker.js", "lib/policy.js", "managed_schema.json"} <= set(
        names
    )
    assert "pages/interstitial.html" in names
    assert not [n for n in names if n.startswith("tests/")]
    shipped = {
        p.relative_to(EXTENSION).as_posix()
        for p in EXTENSION.rglob("*")
        if p.is_file() and p.relative_to(EXTENSION).parts[0] != "tests"
    }
    assert set(names) == shipped
    assert manifest["manifest_version"] == 3


def test_the_command_writes_the_zip_where_asked(tmp_path):
    out = tmp_path / "dist" / "staffguard.zip"
    done = subprocess.run(
        [STAFFGUARD, "extension", "zip", "--out", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert "manifest.json" in archive.namelist()
