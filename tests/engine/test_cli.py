"""The staffguard command line, run as a staff member's IT admin would run it."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

from policy_lists import cli
from policy_lists.cli import build_parser, main

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


# Every command a user can reach, as "group action" words; the parts contribute theirs through
# the staffguard.commands entry points (pyproject.toml), so a missing one means a lost entry.
EVERY_COMMAND = {
    "check", "compile", "lists validate", "lists import", "lists export", "web", "run",
    "users add", "tokens create", "tokens revoke", "retention purge", "db upgrade",
    "extension zip", "feeds update", "feeds list", "feeds enable", "proxy",
}  # fmt: skip
DEVELOPER_WORDS = ("register(", "subparsers", "``", "entry point", "plugin")


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, str]:
    """Every leaf command of the parser tree, with the help text of each level on the way."""
    found: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, child in action.choices.items():
                text = f"{helps.get(name, '')} {child.format_help()}"
                deeper = commands(child, f"{prefix}{name} ")
                found.update({k: f"{text} {v}" for k, v in deeper.items()} or {prefix + name: text})
    return found


def test_help_lists_every_command_in_the_installed_script():
    done = run("--help")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "every part's commands load"
    listed = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ")}
    assert {c.split()[0] for c in EVERY_COMMAND} <= listed
    assert not any(word in done.stdout for word in DEVELOPER_WORDS), done.stdout


def test_every_command_has_help_that_speaks_to_users():
    found = commands(build_parser())
    assert set(found) >= EVERY_COMMAND, sorted(EVERY_COMMAND - set(found))
    for name, text in found.items():
        assert not any(word in text for word in DEVELOPER_WORDS), (name, text)
    top = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("web", "run"):
        for action in top.choices[name]._actions:
            assert action.help, f"staffguard {name} {'/'.join(action.option_strings)} has no help"


def test_a_part_that_fails_to_load_leaves_the_other_commands(monkeypatch, capsys):
    real = cli.entry_points(group=cli.COMMANDS)
    broken = EntryPoint("broken", "no_such_staffguard_part:register", cli.COMMANDS)
    monkeypatch.setattr(cli, "entry_points", lambda group: [*real, broken])
    assert main(["check", "--json", "tiktok.com/messages"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["action"] == "warn"
    assert "the 'broken' commands are unavailable" in err
    assert "ModuleNotFoundError" in err
    assert set(commands(build_parser())) >= EVERY_COMMAND
