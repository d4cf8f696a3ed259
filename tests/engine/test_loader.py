"""Reading and layering list files: bad files are named precisely and never half-load."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from policy_lists import PolicyError, compile_sources, load_policy

BASE = """
platforms:
  - id: chatter
    name: Chatter
    category: social_media
    domains: [chatter.example, chattercdn.example]
    rules:
      - activity: direct_message
        paths: ["/inbox"]
  - id: lessons
    name: Lessons
    category: educational
    domains: [lessons.example]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(*sources: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(*sources)
    return [f"{where}: {message}" for where, message in caught.value.problems]


def test_a_source_file_classifies_its_platforms(tmp_path):
    policy = load_policy(write(tmp_path, "base.yaml", BASE))
    assert policy.classify("https://chatter.example/inbox/1").activity == "direct_message"
    assert policy.classify("https://lessons.example/").category == "educational"


def test_unknown_category_names_file_line_and_entry(tmp_path):
    path = write(tmp_path, "bad.yaml", BASE.replace("category: educational", "category: fun"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:10: platform 'lessons'")
    assert "'fun' is not one of" in problem


def test_every_problem_is_reported_at_once(tmp_path):
    text = BASE.replace("chattercdn.example", "https://x.example/path").replace(
        "activity: direct_message", "activity: chatting"
    )
    found = problems(write(tmp_path, "bad.yaml", text))
    assert len(found) == 2
    assert any("not a domain name" in p for p in found)
    assert any("activity must be one of" in p for p in found)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "broken.yaml", "platforms:\n  - id: a\n    name: [unclosed\n")
    [problem] = problems(path)
    # The parser notices the unclosed flow sequence where the file ends: line 4.
    assert problem == f"{path}:4: YAML: did not find expected ',' or ']'"


def test_duplicate_key_in_an_entry_is_an_error(tmp_path):
    path = write(tmp_path, "dup.yaml", BASE.replace("name: Lessons", "name: Lessons\n    name: L2"))
    [problem] = problems(path)
    assert "duplicate key 'name'" in problem


def test_duplicate_id_across_files_of_one_source_names_both(tmp_path):
    write(tmp_path, "src/a.yaml", BASE)
    write(
        tmp_path,
        "src/b.yaml",
        """
        platforms:
          - id: chatter
            name: Chatter again
            category: social_media
            domains: [other.example]
        """,
    )
    [problem] = problems(tmp_path / "src")
    assert "b.yaml" in problem and "a.yaml" in problem and "duplicate id" in problem


def test_domain_claimed_twice_in_one_source_names_both(tmp_path):
    write(tmp_path, "src/a.yaml", BASE)
    write(
        tmp_path,
        "src/b.yaml",
        """
        platforms:
          - id: copycat
            name: Copycat
            category: social_media
            domains: [chattercdn.example]
        """,
    )
    [problem] = problems(tmp_path / "src")
    assert "'chattercdn.example' is also claimed by" in problem and "a.yaml" in problem


def test_a_public_suffix_is_refused_as_a_domain(tmp_path):
    path = write(tmp_path, "psl.yaml", BASE.replace("lessons.example", "github.io"))
    [problem] = problems(path)
    assert "'github.io' is a public suffix" in problem


def test_a_bad_file_in_a_directory_loads_nothing(tmp_path):
    write(tmp_path, "src/good.yaml", BASE)
    write(tmp_path, "src/bad.yaml", "approvals:\n  - platform: chatter\n    approved_on: someday\n")
    found = problems(tmp_path / "src")
    assert found == [
        f"{tmp_path / 'src' / 'bad.yaml'}:2: approvals[0]: approved_on must be a date (YYYY-MM-DD)"
    ]


def test_approval_of_unknown_platform_is_an_error(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    district = write(
        tmp_path, "d.yaml", "approvals:\n  - {platform: chater, approved_on: 2026-05-12}\n"
    )
    [problem] = problems(base, district)
    assert "unknown platform 'chater'" in problem and "d.yaml:2" in problem


def test_network_with_host_bits_is_explained(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    district = write(
        tmp_path, "d.yaml", "exemptions:\n  - name: VA\n    networks: [10.77.1.0/16]\n"
    )
    [problem] = problems(base, district)
    assert "10.77.1.0/16" in problem and "host bits set" in problem


def test_missing_path(tmp_path):
    [problem] = problems(tmp_path / "nowhere")
    assert "no such policy file or directory" in problem


def test_later_source_overrides_a_platform_field_by_field(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    district = write(
        tmp_path,
        "d.yaml",
        """
        platforms:
          - id: chatter
            category: content_service
        """,
    )
    verdict = load_policy(base, district).classify("https://chatter.example/inbox")
    assert (verdict.category, verdict.activity, verdict.action) == (
        "content_service",
        "direct_message",
        "allow",
    )


def test_later_source_can_disable_a_platform(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    district = write(tmp_path, "d.yaml", "platforms:\n  - {id: chatter, disabled: true}\n")
    assert load_policy(base, district).classify("chatter.example").category == "unclassified"


def test_new_platform_in_later_source_must_be_complete(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    district = write(tmp_path, "d.yaml", "platforms:\n  - {id: newthing, name: New}\n")
    [problem] = problems(base, district)
    assert "platform 'newthing'" in problem and "missing category, domains" in problem


def test_later_source_takes_over_a_domain(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    district = write(
        tmp_path,
        "d.yaml",
        """
        platforms:
          - id: chatter_cdn
            name: Chatter CDN
            category: content_service
            domains: [chattercdn.example]
        """,
    )
    policy = load_policy(base, district)
    assert policy.classify("https://chattercdn.example/").platform_id == "chatter_cdn"
    assert policy.classify("https://chatter.example/").platform_id == "chatter"


def test_approvals_and_settings_layer(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    district = write(
        tmp_path,
        "d.yaml",
        """
        approvals:
          - platform: chatter
            approved_on: 2026-05-12
            reference: Board minutes
        settings:
          continue_minutes: 15
          actions:
            social_media:
              approved: {signup: block}
        """,
    )
    policy = load_policy(base, district)
    assert policy.classify("https://chatter.example/").action == "allow"
    assert policy.settings["continue_minutes"] == 15
    assert policy.platforms["chatter"].verdicts["signup"][0] == "block"
    assert policy.platforms["chatter"].verdicts["comment"][0] == "warn"


def test_compiled_version_is_a_stable_content_hash(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    first = compile_sources(base)
    again = compile_sources(write(tmp_path, "copy/base.yaml", BASE))
    changed = compile_sources(write(tmp_path, "changed.yaml", BASE.replace("Lessons", "Lesson")))
    assert first["version"] == again["version"]
    assert first["version"] != changed["version"]


def test_needs_decision_only_for_platforms_that_can_warn(tmp_path):
    policy = load_policy(write(tmp_path, "base.yaml", BASE))
    assert policy.needs_decision("www.chatter.example")
    assert policy.needs_decision("CHATTERCDN.example.")
    assert not policy.needs_decision("lessons.example")
    assert not policy.needs_decision("bank.example")


def test_domains_file_adds_its_domains_to_the_listed_ones(tmp_path):
    """A platform's ``domains`` and ``domains_file`` together: both kinds of name classify,
    Unicode names in the file are stored as punycode, comments and blank lines are skipped; the
    file's names reach the compiled document as one newline-joined ``domains_text``."""
    (tmp_path / "blocked.txt").write_text(
        "# the district's own block list\n\nwarez.example  # seen 2026-05\nbücher.example\n",
        encoding="utf-8",
    )
    path = write(
        tmp_path,
        "district.yaml",
        """
        platforms:
          - id: blocked
            name: Blocked
            category: social_media
            domains: [listed.example]
            domains_file: blocked.txt
        """,
    )
    policy = load_policy(path)
    for url in (
        "https://listed.example/",
        "https://www.warez.example/x",
        "https://xn--bcher-kva.example/",
    ):
        assert policy.classify(url).platform_id == "blocked", url
    assert policy.classify("https://example.org/").platform_id is None
    [platform] = compile_sources(path)["platforms"]
    assert platform["domains"] == ["listed.example"]
    assert platform["domains_text"] == "warez.example\nxn--bcher-kva.example"


def test_a_bad_line_in_a_domains_file_names_the_field_and_line(tmp_path):
    (tmp_path / "blocked.txt").write_text("ok.example\nnot a domain\n", encoding="utf-8")
    path = write(
        tmp_path,
        "district.yaml",
        """
        platforms:
          - id: blocked
            name: Blocked
            category: social_media
            domains_file: blocked.txt
        """,
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    [problem] = caught.value.problems
    assert (problem.field, problem.line, problem.entry) == ("domains_file", 3, "platform 'blocked'")
    assert (
        problem.message == "domains_file 'blocked.txt' line 2: not a domain name a platform can own"
    )
