"""The shared vectors: what both engines (this one and extension/lib/policy.js) must answer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from policy_lists import Policy

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
sys.path.insert(0, str(VECTORS))
import build  # noqa: E402

DOCUMENT = json.loads((VECTORS / "classify.json").read_text(encoding="utf-8"))
MORE = sorted((VECTORS / "cases").glob("*.json"))
CASES = DOCUMENT["cases"] + [
    case for path in MORE for case in json.loads(path.read_text(encoding="utf-8"))["cases"]
]
POLICIES = {
    name: Policy(json.loads((VECTORS / path).read_text(encoding="utf-8")))
    for name, path in DOCUMENT["scenarios"].items()
}


@pytest.mark.parametrize("name", list(DOCUMENT["scenarios"]))
def test_committed_compiled_scenario_matches_the_lists(name):
    committed = (VECTORS / DOCUMENT["scenarios"][name]).read_text(encoding="utf-8")
    assert committed == build.compiled(name), "run: python tests/vectors/build.py"


def test_there_are_enough_vectors_for_every_scenario():
    scenarios = {case["scenario"] for case in CASES}
    assert len(DOCUMENT["cases"]) >= 150
    assert scenarios == set(DOCUMENT["scenarios"])
    assert (VECTORS / "cases" / "engine.json") in MORE


def test_vector_names_are_unique():
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names)), "name vectors uniquely: test ids and failures use them"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case):
    headers = case["headers"]
    if case.get("websocket"):  # the proxy knows a handshake by its Upgrade header
        headers = {**(headers or {}), "Upgrade": "websocket"}
    verdict = POLICIES[case["scenario"]].classify(
        case["url"],
        method=case["method"],
        user=case["user"],
        client_ip=case["client_ip"],
        headers=headers,
        body=case.get("body"),
    )
    expect = {k: v for k, v in case["expect"].items() if k != "presentation"}  # test_presentation
    got = {key: getattr(verdict, key) for key in expect}
    assert got == expect
