"""The staffguard command line, run as a staff member's IT admin would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from policy_lists.cli import main

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, in a real process."""
    script = Path(sys.executable).with_name("staffguard")
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60)


def test_check_prints_a_readable_verdict():
    done = run("check", "https://www.instagram.com/direct/inbox/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("WARN   https://www.instagram.com/direct/inbox/")
    assert "activity direct_message" in done.stdout


def test_check_json_one_object_per_url_and_https_by_default(capsys):
    assert main(["check", "--json", "tiktok.com/messages", "example.org"]) == 0
    lines = capsys.readouterr().out.splitlines()
    first, second = (json.loads(line) for line in lines)
    assert (first["url"], first["action"], first["activity"]) == (
        "https://tiktok.com/messages",
        "warn",
        "direct_message",
    )
    assert (second["category"], second["action"]) == ("unclassified", "allow")


def test_check_layers_district_policy_and_exemptions(capsys):
    district = str(VECTORS / "scenarios" / "district")
    args = ["check", "--json", "--policy", district, "https://www.facebook.com/lincolnhigh"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["approved"] is True
    args = ["check", "--json", "--policy", district, "--client-ip", "10.77.1.1", "tiktok.com"]
    assert main(args) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert (verdict["action"], verdict["exempt"]) == ("allow", True)


def test_check_with_a_bad_policy_exits_2_with_the_place(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("platforms:\n  - id: Bad Id\n    name: x\n", encoding="utf-8")
    done = run("check", "--policy", str(bad), "tiktok.com")
    assert done.returncode == 2
    assert f"{bad}:2: platform 'Bad Id': id must be lowercase" in done.stderr
    assert "Traceback" not in done.stderr


def test_compile_prints_the_policy_document(capsys):
    assert main(["compile"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "staffguard-policy/1"
    ids = {p["id"] for p in document["platforms"]}
    assert {"facebook", "instagram", "snapchat", "tiktok", "x"} <= ids


def test_lists_validate_reports_counts(capsys):
    assert main(["lists", "validate", str(VECTORS / "scenarios" / "district")]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_lists_validate_rejects_bad_files(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("settings:\n  continue_minutes: forever\n", encoding="utf-8")
    assert main(["lists", "validate", str(bad)]) == 2
    assert "continue_minutes must be a whole number" in capsys.readouterr().err
