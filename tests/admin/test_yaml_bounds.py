"""Every YAML entry point is bounded (issue 14): the loader shared by the command line, the
proxy's file source and the admin site refuses billion laughs, deep nesting, oversized files
and unbuildable values with a file and line; ``domains_file`` reads only beside its list."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from admin_web.db import get_db
from admin_web.models import LayerEntry, Setting
from policy_lists import PolicyError, read_source, read_text
from policy_lists.loader import MAX_YAML_BYTES, read_yaml

STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))


def laughs(levels: int = 9) -> str:
    """A platform whose rule paths are 9^9 strings once aliases are expanded (the anchors sit
    in its note); the first alias level past two million values is &a6."""
    lines = ["      - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels):
        lines.append(f"      - &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return (
        "settings: {}\nplatforms:\n  - id: lol\n    name: Lol\n    category: social_media\n"
        "    domains: [lol.example]\n    note:\n" + "\n".join(lines) + "\n"
        f"    rules:\n      - activity: comment\n        paths: *a{levels - 1}\n"
    )


LAUGHS_LINE = laughs().splitlines().index(next(x for x in laughs().splitlines() if "&a6" in x)) + 1


def nested(depth: int) -> str:
    return "settings:\n  actions: " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (laughs(), LAUGHS_LINE, "expands to more than"),
        (nested(60), 2, "nested deeper than"),
        (nested(100_000), 2, "YAML"),
        ("settings:\n  district_name: \x07\n", 2, "control characters"),
        ("approvals:\n  - {platform: x, approved_on: 2026-13-01}\n", 2, "month must be in 1..12"),
        ("approvals:\n  - {platform: x, approved_on: 0000-00-00}\n", 2, "year 0 is out of range"),
        ("approvals:\n  - {platform: x, approved_on: !!timestamp x}\n", 2, "as timestamp"),
        ("settings:\n  continue_minutes: " + "9" * 5000 + "\n", 2, "as int"),
        ('settings:\n  district_name: "a\\0b"\n', 2, "NUL"),
        ("settings:\n  district_name: !!binary aGk=\n", 2, "binary"),
        ("settings:\n  continue_minutes: .nan\n", 2, "not a finite number"),
        ("settings:\n  ? [a]\n  : 1\n", 2, "cannot read"),
        ("a: &a [*a]\n", 1, "expands"),
    ],
)
def test_the_loader_refuses_hostile_yaml_with_file_and_line(text, line, message):
    started = time.perf_counter()
    with pytest.raises(PolicyError) as caught:
        read_text("district.yaml", text)
    assert time.perf_counter() - started < 2
    [(where, problem)] = caught.value.problems
    assert (where.file, where.line) == ("district.yaml", line)
    assert message in problem


def test_empty_links_stay_allowed_the_site_fills_them_in():
    document = read_text("district.yaml", 'settings: {permission_url: "", policy_url: ""}\n')
    assert document.settings == {"permission_url": "", "policy_url": ""}


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * MAX_YAML_BYTES + "\n")
    with pytest.raises(PolicyError, match="larger than"):
        read_yaml(big)


@pytest.mark.parametrize(
    "text",
    [
        "approvals:\n  - {platform: x, approved_on: 2026-13-01}\n",
        "approvals:\n  - {platform: x, approved_on: !!timestamp x}\n",
        "settings:\n  district_name: \x07\n",
        laughs(),
    ],
)
def test_lists_validate_exits_2_naming_file_and_line(tmp_path, text):
    path = tmp_path / "district.yaml"
    path.write_text(text)
    done = subprocess.run(
        [STAFFGUARD, "lists", "validate", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert f"{path}:" in done.stderr and "Traceback" not in done.stderr


def write_list(folder: Path, domains_file: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "district.yaml"
    path.write_text(
        "platforms:\n  - id: blocked\n    name: Blocked\n    category: social_media\n"
        f"    domains_file: {domains_file!r}\n"
    )
    return folder


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../secret.txt", "../../../../etc/passwd", "/proc/self/environ"]
)
def test_domains_file_stays_inside_its_list_directory(tmp_path, name):
    (tmp_path / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash\nsecret.example\n")
    source = write_list(tmp_path / "district", name)
    with pytest.raises(PolicyError) as caught:
        read_source(source)
    assert "must be a file inside" in str(caught.value)
    assert "root:" not in str(caught.value) and "secret.example" not in str(caught.value)


def test_domains_file_through_a_symlink_out_of_the_directory_is_refused(tmp_path):
    (tmp_path / "secret.txt").write_text("secret.example\n")
    source = write_list(tmp_path / "district", "link.txt")
    (source / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(PolicyError, match="must be a file inside"):
        read_source(source)


def test_domains_file_problems_name_lines_not_contents(tmp_path):
    source = write_list(tmp_path / "district", "lists/blocked.txt")
    (source / "lists").mkdir()
    (source / "lists" / "blocked.txt").write_text("ok.example  # fine\nPASSWORD=hunter2\ncom\n")
    with pytest.raises(PolicyError) as caught:
        read_source(source)
    text = str(caught.value)
    assert "line 2" in text and "line 3" in text
    assert "hunter2" not in text and "PASSWORD" not in text


def test_domains_file_beside_the_list_still_works(tmp_path):
    source = write_list(tmp_path / "district", "blocked.txt")
    (source / "blocked.txt").write_text("# ours\nblocked.example\nother.example # note\n")
    [entry] = read_source(source).platforms
    assert entry.fields["domains_text"] == "blocked.example\nother.example"


@pytest.mark.parametrize("name", ["/etc/passwd", "../../../../etc/passwd", "/proc/self/environ"])
def test_an_uploaded_import_cannot_name_a_domains_file(app, client, auth, name):
    auth.login("admin")
    text = (
        "platforms:\n  - id: leak\n    name: Leak\n    category: social_media\n"
        f"    domains_file: {name}\n"
    )
    answer = client.post("/lists/import", data={"text": text})
    assert answer.status_code == 400 and "not in uploads" in answer.text
    assert "root:" not in answer.text
    with app.app_context():
        assert get_db().get(LayerEntry, "leak") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (laughs(), "expands to more than"),
        (nested(60), "nested deeper than"),
        ("settings:\n  retention_days: " + "9" * 5000 + "\n", "as int"),
        ("approvals:\n  - {platform: tiktok, approved_on: 0000-00-00}\n", "year 0"),
        ("platforms:\n  - {id: " + "a" * 150 + ", name: A, category: email, domains: [a.org]}\n",
         "longer than 100"),
        ("settings:\n  policy_url: 'javascript:alert(1)'\n", "http:// or https://"),
    ],
)  # fmt: skip
def test_a_hostile_import_is_a_400_with_the_reason_and_keeps_the_lists(
    app, client, auth, text, message
):
    auth.login("admin")
    client.post("/lists/settings", data={"district_name": "USD 999"})
    started = time.perf_counter()
    answer = client.post("/lists/import", data={"text": text, "apply": "yes"})
    assert time.perf_counter() - started < 5
    assert answer.status_code == 400 and message in answer.text
    with app.app_context():
        assert get_db().get(Setting, "district_name").value == "USD 999", "nothing lost"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"actions": "social_media: " + "{a: " * 60 + "b" + "}" * 60}, "nested deeper than"),
        ({"actions": laughs().replace("settings: {}\n", "")}, "expands to more than"),
        ({"actions": 'social_media: {unapproved: {browse: "\\0"}}'}, "NUL"),
    ],
)
def test_the_settings_form_reads_yaml_with_the_same_bounds(app, client, auth, form, message):
    auth.login("admin")
    started = time.perf_counter()
    answer = client.post("/lists/settings", data=form)
    assert time.perf_counter() - started < 5
    assert message in answer.text
    with app.app_context():
        assert get_db().scalars(select(Setting)).all() == []


def test_the_platform_form_reads_rules_with_the_same_bounds(app, client, auth):
    auth.login("admin")
    rules = "- activity: comment\n  paths: " + "[" * 60 + "]" * 60 + "\n"
    form = {"id": "deep", "name": "Deep", "category": "social_media", "domains": "deep.org"}
    answer = client.post("/lists/platforms/new", data={**form, "rules": rules})
    assert answer.status_code == 200 and "nested deeper than" in answer.text
    with app.app_context():
        assert get_db().get(LayerEntry, "deep") is None
