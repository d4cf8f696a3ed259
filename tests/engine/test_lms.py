"""Detecting social media links in LMS assignments and announcements (policy_lists.lms)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy_lists import load_policy
from policy_lists.engine import Policy
from policy_lists.lms import MAX_BODY, MAX_LINKS, find_route, linked_urls, required_platforms

VECTORS = json.loads(
    (Path(__file__).parents[1] / "vectors" / "lms" / "lms.json").read_text(encoding="utf-8")
)["cases"]


CONTENT = ("application/json", "application/x-www-form-urlencoded", "text/plain", "")


@cache
def policy() -> Policy:
    return load_policy()  # the shipped lists


@pytest.mark.parametrize("case", VECTORS, ids=[c["name"] for c in VECTORS])
def test_vectors(case):
    found = required_platforms(
        policy(),
        case["url"],
        case["method"],
        case["headers"],
        case["body"],
        extra_hosts=case.get("extra_hosts"),
    )
    if case["expect"] is None:
        assert found is None
        return
    assert found is not None
    assert (found.lms, found.kind) == (case["expect"]["lms"], case["expect"]["kind"])
    assert [p[0] for p in found.platforms] == case["expect"]["platforms"]
    assert found.to_dict()["sentence"].startswith("No employee shall require a student")


def test_the_finding_names_platforms_and_never_the_links_or_text():
    body = json.dumps({"assignment": {"description": "secret plan https://www.tiktok.com/@kid1"}})
    found = required_platforms(
        policy(), "https://a.instructure.com/api/v1/courses/1/assignments", body=body
    )
    assert found is not None
    text = json.dumps(found.to_dict())
    assert "tiktok" in text and "@kid1" not in text and "secret plan" not in text


def test_only_the_first_64_kib_of_the_body_is_read():
    late = "x" * MAX_BODY + " https://www.tiktok.com/@late"
    assert linked_urls(late) == []
    early = "https://www.tiktok.com/@early " + "x" * MAX_BODY
    assert linked_urls(early.encode()) == ["https://www.tiktok.com/@early"]


def test_a_districts_own_canvas_host_is_an_lms_host_when_configured():
    url = "https://canvas.usd999.org/api/v1/courses/1/assignments"
    assert find_route(url, "POST") is None
    route = find_route(url, "POST", {"canvas": ["canvas.usd999.org"]})
    assert route is not None and route.kind == "assignment"


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe\x00garbage", "[[[", '{"a": [1, {"b": "\\ud800"}]}', "%zz=%%%", "", None, "=" * 9],
)
def test_bad_bodies_never_raise(body):
    required_platforms(
        policy(), "https://x.instructure.com/api/v1/courses/1/assignments", body=body
    )


def test_at_most_max_links_are_classified():
    body = " ".join(f"https://site{i}.example/p" for i in range(5000))
    assert len(linked_urls(body)) == MAX_LINKS


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2048), st.text(max_size=2048)), st.sampled_from(CONTENT))
def test_no_body_makes_it_raise(body, content_type):
    required_platforms(
        policy(),
        "https://x.instructure.com/api/v1/courses/1/assignments",
        headers={"Content-Type": content_type},
        body=body,
    )


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=" abc.,;\n\t<>", max_size=200), st.text(alphabet=" xyz.!?\n", max_size=200))
def test_a_tiktok_link_is_found_wherever_it_sits_in_the_text(before, after):
    text = f"{before} https://www.tiktok.com/@lhs {after}"
    found = required_platforms(
        policy(),
        "https://classroom.googleapis.com/v1/courses/9/announcements",
        body=json.dumps({"text": text}),
    )
    assert found is not None and [p[0] for p in found.platforms] == ["tiktok"]


def test_the_extensions_copy_of_the_route_table_is_current():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "vectors_build", Path(__file__).parents[1] / "vectors" / "build.py"
    )
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    committed = (Path(__file__).parents[1] / "vectors" / "lms" / "routes.json").read_text()
    assert committed == build.lms_routes(), "run: python tests/vectors/build.py"


def test_schoology_updates_and_discussions_in_sections_and_groups():
    base = "https://api.schoology.com/v1"
    assert find_route(f"{base}/sections/1/updates", "POST").kind == "announcement"
    assert find_route(f"{base}/groups/1/updates/2", "PUT").kind == "announcement"
    assert find_route(f"{base}/sections/1/discussions/2", "PUT").kind == "discussion"
    assert find_route(f"{base}/users/1/updates", "POST") is None
    assert find_route(f"{base}/sections/1/updates", "GET") is None


def test_settings_lms_hosts_name_a_districts_own_lms_hosts(tmp_path):
    from policy_lists import DEFAULTS, PolicyError

    (tmp_path / "district.yaml").write_text(
        "settings:\n  lms_hosts: {canvas: [Canvas.USD999.org], schoology: [lms.usd999.org]}\n"
    )
    district = load_policy(DEFAULTS, tmp_path / "district.yaml")
    assert district.settings["lms_hosts"]["canvas"] == ["canvas.usd999.org"]
    url = "https://canvas.usd999.org/api/v1/courses/1/assignments"
    body = json.dumps({"d": "https://www.tiktok.com/@x"})
    found = required_platforms(district, url, body=body)
    assert found is not None and found.lms == "canvas"
    assert required_platforms(policy(), url, body=body) is None
    for bad in ("{moodle: [m.usd999.org]}", "{canvas: [https://x.org/a]}", "[canvas.usd999.org]"):
        (tmp_path / "bad.yaml").write_text(f"settings:\n  lms_hosts: {bad}\n")
        with pytest.raises(PolicyError, match="lms_hosts"):
            load_policy(tmp_path / "bad.yaml")
