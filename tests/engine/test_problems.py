"""List problems are structured: file, line, entry and field, so that consumers route them
without reading their wording; and every section refuses keys it does not know."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from policy_lists import PolicyError, load_policy
from policy_lists.schema import Problem, Where

BASE = """\
platforms:
  - id: chatter
    name: Chatter
    category: social_media
    domains: [chatter.example]
"""


def caught(tmp_path: Path, text: str) -> PolicyError:
    path = tmp_path / "lists.yaml"
    path.write_text(BASE + textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    return error.value


@pytest.mark.parametrize(
    ("section", "entry"),
    [
        ("approvals:\n  - {platform: chatter, approved_on: 2026-05-12, refrence: x}", "approvals"),
        ("accounts:\n  - {platform: chatter, handle: h, oficials: [a@b.org]}", "accounts"),
        ("exemptions:\n  - {name: VA, users: [a@b.org], user_domains: ['@b.org']}", "exemptions"),
    ],
)
def test_every_section_refuses_an_unknown_key(tmp_path, section, entry):
    [problem] = caught(tmp_path, section + "\n").problems
    assert problem.entry == f"{entry}[0]" and problem.line == 7
    assert problem.message.startswith("unknown field ")


def test_notes_and_sources_are_known_keys_everywhere(tmp_path):
    path = tmp_path / "lists.yaml"
    path.write_text(
        BASE
        + "approvals:\n  - {platform: chatter, approved_on: 2026-05-12, note: n, source: s}\n"
        + "accounts:\n  - {platform: chatter, handle: h, note: n, source: s}\n"
        + "exemptions:\n  - {name: VA, users: ['@b.org'], note: n, source: s}\n",
        encoding="utf-8",
    )
    assert load_policy(path).classify("https://chatter.example/", user="x@b.org").exempt


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("    category: fun\n", "category"),
        ("    rules: [{activity: chatting, paths: [/x]}]\n", "rules"),
        ("    rules: [{activity: comment, hosts: [other.example]}]\n", "rules"),
        ("    actions: {browse: shout}\n", "actions"),
        ("    disabled: maybe\n", "disabled"),
    ],
)
def test_a_platform_problem_names_its_field(tmp_path, text, field):
    path = tmp_path / "lists.yaml"
    path.write_text(BASE.replace("    category: social_media\n", "") + text, encoding="utf-8")
    if field != "category":
        path.write_text(BASE + text, encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert [p.field for p in error.value.problems] == [field]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("approvals:\n  - {platform: chatter, approved_on: someday}\n", "approved_on"),
        ("approvals:\n  - {platform: nobody, approved_on: 2026-05-12}\n", "platform"),
        ("accounts:\n  - {platform: chatter, handle: h, officials: nobody}\n", "officials"),
        ("exemptions:\n  - {name: VA, networks: [10.77.1.0/16]}\n", "networks"),
        ("settings: {continue_minutes: 0}\n", "continue_minutes"),
        ("settings: {staff_domains: [com]}\n", "staff_domains"),
        ("settings: {actions: {social_media: {approved: {browse: shout}}}}\n", "actions"),
        ("settings: {colour: red}\n", ""),
    ],
)
def test_a_register_or_setting_problem_names_its_field(tmp_path, text, field):
    assert [p.field for p in caught(tmp_path, text).problems] == [field]


def test_the_message_text_is_unchanged_by_the_structure(tmp_path):
    error = caught(tmp_path, "settings: {continue_minutes: 0}\n")
    assert str(error) == (
        f"{tmp_path / 'lists.yaml'}:6: settings: continue_minutes must be a whole number "
        "from 1 to 1440"
    )
    where, message = error.problems[0]  # still unpacks as (where, message)
    assert isinstance(error.problems[0], Problem) and where.field == "continue_minutes"
    assert message.startswith("continue_minutes must be")


def test_old_style_problem_tuples_still_make_an_error():
    error = PolicyError([(Where("form", None, "rules", "rules"), "rules: not valid YAML")])
    assert str(error) == "form: rules: rules: not valid YAML"
    assert error.problems[0].field == "rules" and error.problems[0].line is None
