"""The rule kinds beyond host and path: websocket handshakes, GraphQL operation names (path,
header, bounded body), host patterns, link wrappers; how lists spell them and what the engine
reads. The shared vectors (tests/vectors/cases/engine.json) pin the verdicts in both engines."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy_lists import Policy, PolicyError, compile_sources, load_policy
from policy_lists.operations import BODY_LIMIT, body_operations
from policy_lists.vocabulary import ACTIONS, ACTIVITIES

LIST = """
platforms:
  - id: chatter
    name: Chatter
    category: social_media
    domains: [chatter.example]
    rules:
      - {activity: redirect, hosts: [l.chatter.example]}
      - {activity: direct_message, hosts: ["im-api*.chatter.example"]}
      - {activity: comment, hosts: [www.chatter.example], paths: [/api/graphql],
         methods: [POST], operations: [AddComment]}
      - {activity: direct_message, websocket: true, paths: [/ws]}
    actions: {redirect: allow}
"""
GRAPHQL = "https://www.chatter.example/api/graphql"


def load(tmp_path: Path, text: str = LIST):
    path = tmp_path / "list.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_policy(path)


def problems(tmp_path: Path, rule: str) -> list[str]:
    text = LIST.replace("      - {activity: redirect, hosts: [l.chatter.example]}", rule)
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, text)
    return [message for _, message in caught.value.problems]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('      - {activity: signup, hosts: ["im*api*.chatter.example"]}', "not a host pattern"),
        ('      - {activity: signup, hosts: ["x.im*.chatter.example"]}', "not a host pattern"),
        ('      - {activity: signup, hosts: ["*.co.uk"]}', "public suffix"),
        ('      - {activity: signup, hosts: ["im-*.other.example"]}', "not under the platform"),
        ("      - {activity: signup, paths: [/x], websocket: false}", "websocket must be true"),
        ("      - {activity: signup, paths: [/x], websocket: yes please}", "websocket must be"),
        ("      - {activity: signup, operations: []}", "non-empty list"),
        ('      - {activity: signup, operations: ["a b"]}', "not a GraphQL operation name"),
        ("      - {activity: signup, headers: [x-a]}", "headers must map"),
        ("      - {activity: signup, methods: [POST]}", "a rule needs paths, hosts"),
        ("      - {activity: visiting, paths: [/x]}", "activity must be one of"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(tmp_path, rule, message):
    assert any(message in p for p in problems(tmp_path, rule)), problems(tmp_path, rule)


def test_a_link_wrapper_is_always_allowed(tmp_path):
    text = LIST.replace("actions: {redirect: allow}", "actions: {redirect: warn}")
    with pytest.raises(PolicyError, match="redirect: is always 'allow'"):
        load(tmp_path, text)
    verdict = load(tmp_path).classify("https://l.chatter.example/?u=https://news.example/")
    assert (verdict.activity, verdict.action) == ("redirect", "allow")
    assert verdict.reason == "A link leaving Chatter; where it leads is judged on arrival."


def test_the_compiled_rule_carries_every_kind_pre_shaped(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text(textwrap.dedent(LIST), encoding="utf-8")
    rules = compile_sources(path)["platforms"][0]["rules"]
    assert rules[1]["hosts"] == ["im-api*.chatter.example"]
    assert rules[2]["operations"] == ["addcomment"]
    assert rules[2]["segments"] == [["api", "graphql"]] and rules[2]["paths"] == ["/api/graphql"]
    assert rules[3]["websocket"] is True and rules[2]["websocket"] is False


def test_needs_body_only_where_a_rule_reads_one(tmp_path):
    policy = load(tmp_path)
    assert policy.needs_body("www.chatter.example")
    assert policy.needs_body("WWW.Chatter.Example.")
    assert not policy.needs_body("chatter.example")  # the body rule names www. only
    assert not policy.needs_body("im-api-va.chatter.example")
    assert not policy.needs_body("news.example")


def test_the_body_may_be_bytes_str_or_a_memoryview(tmp_path):
    policy = load(tmp_path)
    form = "operationName=AddComment"
    batch = memoryview(b'["x", {"operationName":"AddComment"}]')
    for body in (form.encode(), form, bytearray(form.encode()), batch):
        assert policy.classify(GRAPHQL, "POST", body=body).activity == "comment", body


def test_only_the_first_64_kib_of_a_body_is_read(tmp_path):
    policy = load(tmp_path)
    field = "operationName=AddComment"
    padding = "x=" + "a" * (BODY_LIMIT - len(field) - 3) + "&"  # ends one byte before the field
    assert policy.classify(GRAPHQL, "POST", body=padding[:-1] + "&" + field).activity == "comment"
    late = padding + "a" + field  # pushed past the limit by one byte: its end is cut off
    assert policy.classify(GRAPHQL, "POST", body=late).activity == "browse"
    assert policy.classify(GRAPHQL, "POST", body=late.encode()).activity == "browse"
    early = json.dumps({"operationName": "AddComment", "pad": "a" * BODY_LIMIT})
    assert policy.classify(GRAPHQL, "POST", body=early).activity == "browse"  # JSON cut short
    assert policy.classify(GRAPHQL, "POST", body=field + "&x=" + "é" * BODY_LIMIT).activity == (
        "comment"
    )


def test_a_multibyte_character_cut_at_the_limit_is_replaced_not_raised():
    body = ("a" * (BODY_LIMIT - 1) + "é&operationName=AddComment").encode()
    assert body_operations(body) == []
    assert body_operations("operationName=Add%FFComment") == ["add\ufffdcomment"]


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00",
        "[" * 100_000,
        "[" * 5000 + "]" * 5000,
        '{"operationName": "AddComment", "x": ' + "[" * 3000 + "]" * 3000 + "}",
        "\ud800operationName=AddComment" + "a" * BODY_LIMIT,
        "%" * 70_000,
        12345,
        {"operationName": "AddComment"},
        ["operationName=AddComment"],
    ],
)
def test_hostile_bodies_never_raise(tmp_path, body):
    verdict = load(tmp_path).classify(GRAPHQL, "POST", body=body)
    assert verdict.platform_id == "chatter" and verdict.activity in ("browse", "comment")


def test_hostile_headers_never_raise(tmp_path):
    policy = load(tmp_path)
    for headers in (
        {"Upgrade": ["websocket"]},
        {1: "x"},
        {"x-fb-friendly-name": None},
        {},
        "x",
        [("Upgrade", "websocket")],
    ):
        verdict = policy.classify("https://chatter.example/ws", headers=headers)
        assert verdict.activity == "browse"


def test_a_document_without_segments_and_ranges_classifies_alike(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text(textwrap.dedent(LIST) + EXEMPTION, encoding="utf-8")
    compiled = compile_sources(path)
    older = json.loads(json.dumps(compiled))
    for platform in older["platforms"]:
        for rule in platform["rules"]:
            del rule["segments"]
    del older["exemptions"][0]["network_ranges"]
    for url, client_ip in [
        ("https://chatter.example/ws", "10.77.1.2"),
        ("wss://chatter.example/ws/1", "10.78.1.2"),
        ("wss://chatter.example/ws/1", "fd00:77::1"),
        ("https://im-api-x.chatter.example/", None),
    ]:
        new = Policy(compiled).classify(url, client_ip=client_ip)
        assert Policy(older).classify(url, client_ip=client_ip) == new
        assert new.exempt == (client_ip in ("10.77.1.2", "fd00:77::1"))


EXEMPTION = """
exemptions:
  - {name: board room, networks: [10.77.0.0/16, "fd00:77::/32"]}
"""


KINDS = Policy(
    json.loads(
        (Path(__file__).parents[1] / "vectors" / "compiled" / "kinds.json").read_text("utf-8")
    )
)
_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_names = st.sampled_from(["operationName", "fb_api_req_friendly_name", "x", "OperationName"])
_bodies = st.one_of(
    st.none(),
    _text,
    st.binary(max_size=200),
    _json.map(json.dumps),
    st.lists(st.dictionaries(_names, _text | st.sampled_from(["AddCommentMutation"]))).map(
        json.dumps
    ),
    st.lists(st.tuples(_names, _text)).map(lambda p: "&".join(f"{k}={v}" for k, v in p)),
)
_headers = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["Upgrade", "x-fb-friendly-name", "X-Chatter-Flow", "Content-Type"])
        | _text,
        _text | st.sampled_from(["websocket", "AddCommentMutation", "signup"]),
        max_size=4,
    ),
)


@settings(max_examples=400, deadline=None)
@given(
    url=st.sampled_from(
        [
            "https://www.chatter.example/api/graphql",
            "wss://gateway.chatter.example/ws/chat",
            "https://l.chatter.example/x",
            "https://social.usd999.example/gql/x",
            "https://im-api-va.chatter.example/",
        ]
    ),
    method=st.sampled_from(["GET", "POST", "PATCH", "PUT"]),
    headers=_headers,
    body=_bodies,
)
def test_any_headers_and_body_give_a_verdict_in_the_vocabulary(url, method, headers, body):
    verdict = KINDS.classify(url, method, headers=headers, body=body)
    assert verdict.activity in ACTIVITIES and verdict.action in ACTIONS
    if verdict.activity == "redirect":
        assert verdict.action == "allow"


def test_mitmproxy_headers_work_as_the_proxy_passes_them():
    from mitmproxy.http import Headers

    handshake = Headers(Host="gateway.chatter.example", Connection="Upgrade", Upgrade="WebSocket")
    url = "https://gateway.chatter.example/ws/chat"
    assert KINDS.classify(url, headers=handshake).activity == "direct_message"
    named = Headers([(b"X-FB-Friendly-Name", b"useCometUFICreateCommentMutation")])
    assert KINDS.classify(GRAPHQL, "POST", headers=named).activity == "comment"
