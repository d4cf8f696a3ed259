"""Fuzzing every form and API field and the YAML loader (issue 14), on SQLite and PostgreSQL.

Whatever arrives, the site answers below 500 with no exception escaping (TESTING propagates
them into the test), a refused change leaves everything stored as it was, and a batch of
events is stored once: resent, it is all duplicates. Bounded: a few dozen examples a test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy
import yaml
from admin_harness import PASSWORD, make_app
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from admin_web.auth import create_token
from admin_web.db import get_db
from admin_web.layer import layer_data
from admin_web.models import Event, PermissionRequest, ProxyStatus, Token, Unclassified, User
from policy_lists import PolicyError, read_text

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = [
    "\x00", "a\x00b", "²", "٣", "9" * 5000, "-" + "9" * 40, "1e10000000", "9e999999999999",
    "NaN", "-Infinity", "Infinity", "-1", "0", "", " ", "javascript:alert(1)",
    "https://user@evil.example/", "/\t/evil.example/", "\\\\evil.example", "//evil.example",
    "../../../../etc/passwd", "/proc/self/environ", "[" * 1000, "{a: " * 50, "&a [*a]",
    "{{7*7}}", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "0000-00-00", "2026-13-01",
    "9999-12-31", "0001-01-01T00:00:00+05:00", "%00", "%FF", "x" * 20_000, "\u202e\u200b",
    "!!timestamp x", "!!python/object:os.system", "a@b", "a" * 300 + "@usd999.org",
]  # fmt: skip
SURROGATES = ["\ud800", "x\udfffy"]
form_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))
json_text = st.one_of(st.sampled_from(NASTY + SURROGATES), st.text(max_size=60))
json_scalar = st.one_of(
    json_text,
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_text, inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def fuzz_app(request, tmp_path_factory) -> Iterator[Flask]:
    """One site per database for the whole file: the fuzzing runs on state it accumulates."""
    tmp = tmp_path_factory.mktemp("fuzz")
    engine = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'fuzz.sqlite3'}"
    else:
        base = request.getfixturevalue("postgres_url")
        schema = f"sg_fuzz_{uuid.uuid4().hex[:10]}"
        engine = sqlalchemy.create_engine(base)
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
        url = f"{base}?options=-csearch_path%3D{schema}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STAFFGUARD_INSTANCE", str(tmp / "instance"))
        app = make_app(url, tmp, LOGIN_ATTEMPTS=10**6, REQUEST_LIMIT=(10**6, 3600))
        with app.app_context():
            app.config["FUZZ_TOKEN"] = create_token("fuzz")
            get_db().commit()
        client = app.test_client()
        client.post("/login", data={"name": "admin@usd999.org", "password": PASSWORD})
        client.post("/lists/approvals", data={"platform": "tiktok", "approved_on": "2026-05-12"})
        client.post("/lists/settings", data={"district_name": "USD 999"})
        client.post(
            "/requests/new",
            data={"requester": "coach@usd999.org", "platform_id": "tiktok", "purpose": "News",
                  "audience": "Parents", "account_name": "lincoln"},
        )  # fmt: skip
        app.config["FUZZ_ADMIN"] = client
        yield app
    if engine is not None:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def snapshot(app: Flask) -> Any:
    """Everything a refused request must leave as it was."""
    with app.app_context():
        db = get_db()
        counts = [
            db.scalar(select(func.count()).select_from(model))
            for model in (Event, PermissionRequest, User, Token, Unclassified, ProxyStatus)
        ]
        users = sorted((u.name, u.role, u.disabled) for u in db.scalars(select(User)))
        return json.dumps([layer_data(db), counts, users], sort_keys=True, default=str)


FORMS: list[tuple[str, list[str]]] = [
    ("/lists/settings", ["continue_minutes", "retention_days", "district_name", "policy_url",
                         "permission_url", "staff_domains", "actions"]),
    ("/lists/approvals", ["platform", "approved_on", "reference"]),
    ("/lists/approvals?kind=account", ["kind", "platform", "handle", "sponsor", "officials"]),
    ("/lists/exemptions", ["name", "users", "networks"]),
    ("/lists/platforms/new", ["id", "name", "category", "domains", "rules", "note", "source",
                              "action_browse", "action_comment", "action_signup"]),
    ("/lists/platforms/tiktok", ["name", "category", "domains", "rules", "action_direct_message"]),
    ("/lists/import", ["text", "apply"]),
    ("/users", ["name", "role", "password"]),
    ("/users/2", ["role", "disabled"]),
    ("/requests/1", ["decision", "reason"]),
    ("/tokens", ["name"]),
    ("/requests/new", ["requester", "platform_id", "purpose", "audience", "account_name",
                       "officials", "costs"]),
]  # fmt: skip


@st.composite
def form_posts(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    url, fields = draw(st.sampled_from(FORMS))
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, unique=True))
    return url, {field: draw(form_text) for field in chosen}


@FUZZ
@given(post=form_posts())
def test_no_form_field_makes_the_site_fail_or_lose_data(fuzz_app, post):
    url, form = post
    before = snapshot(fuzz_app)
    answer = fuzz_app.config["FUZZ_ADMIN"].post(url, data=form)
    assert answer.status_code < 500
    done = answer.status_code == 302 or b'id="new-token"' in answer.data  # a token is shown
    if not done:
        assert snapshot(fuzz_app) == before, "a refused change stored something"


@FUZZ
@given(
    field=st.sampled_from(["remove_approval", "remove_account"]),
    value=form_text.filter(lambda v: not v.strip().isdigit()),
)
def test_removing_by_a_hostile_id_removes_nothing(fuzz_app, field, value):
    before = snapshot(fuzz_app)
    answer = fuzz_app.config["FUZZ_ADMIN"].post("/lists/approvals", data={field: value})
    assert answer.status_code < 500 and snapshot(fuzz_app) == before


@FUZZ
@given(
    path=st.sampled_from(["/", "/log", "/log.csv", "/requests/", "/lists/", "/api/v1/check"]),
    args=st.dictionaries(
        st.sampled_from(["days", "from", "to", "after", "user", "platform", "category",
                         "outcome", "status", "q", "url", "method", "approval"]),
        form_text,
        max_size=4,
    ),
)  # fmt: skip
def test_no_filter_makes_a_review_page_fail(fuzz_app, path, args):
    answer = fuzz_app.config["FUZZ_ADMIN"].get(path, query_string=args)
    assert answer.status_code < 500
    answer.get_data()  # streamed CSV: rendered fully


@FUZZ
@given(name=form_text, password=form_text, next_url=form_text)
def test_sign_in_never_fails_or_leaves_the_site(fuzz_app, name, password, next_url):
    answer = fuzz_app.test_client().post(
        "/login", query_string={"next": next_url}, data={"name": name, "password": password}
    )
    assert answer.status_code < 500
    location = answer.headers.get("Location", "/")
    assert location.startswith("/") and not location.startswith("//")
    assert "\\" not in location and "\t" not in location


def good_event() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "ts": "2026-11-20T14:03:00Z", "source": "proxy",
        "user": "jdoe@usd999.org", "client": "10.1.2.3", "url": "https://www.tiktok.com/x",
        "host": "www.tiktok.com", "platform_id": "tiktok", "category": "social_media",
        "activity": "direct_message", "action": "warn", "outcome": "shown",
        "justification": "", "reason": "r", "policy_ref": "IIBGC",
    }  # fmt: skip


@FUZZ
@given(
    changes=st.lists(
        st.dictionaries(st.sampled_from(sorted(good_event())), json_value, max_size=3),
        min_size=1,
        max_size=4,
    )
)
def test_events_are_stored_once_or_refused_with_their_index(fuzz_app, changes):
    batch = [{**good_event(), **change} for change in changes]
    body = json.dumps(batch)  # surrogates travel escaped, as a JSON sender writes them
    headers = {"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"}
    client = fuzz_app.test_client()
    before = snapshot(fuzz_app)
    answer = client.post(
        "/api/v1/events", data=body, headers=headers, content_type="application/json"
    )
    assert answer.status_code in (200, 400), answer.get_data(as_text=True)
    if answer.status_code == 400:
        assert isinstance(answer.json["index"], int) and 0 <= answer.json["index"] < len(batch)
        assert snapshot(fuzz_app) == before, "nothing of a refused batch is stored"
        return
    again = client.post(
        "/api/v1/events", data=body, headers=headers, content_type="application/json"
    )
    assert again.json["accepted"] == 0, "a resent batch stores nothing twice"
    assert again.json["duplicates"] == len(batch)


@FUZZ
@given(
    endpoint=st.sampled_from(["/api/v1/events", "/api/v1/unclassified", "/api/v1/status"]),
    body=st.one_of(
        json_value.map(json.dumps),
        st.sampled_from(["[" * 100_000, "{" * 50_000, '{"reporter": NaN}', "[1e999]", "\x00"]),
        st.fixed_dictionaries(
            {"reporter": json_value, "counts": st.lists(json_value, max_size=3)}
        ).map(json.dumps),
        st.fixed_dictionaries(
            {"reporter": json_text, "spool_backlog": json_value, "log_failures": json_value,
             "policy_version": json_value, "last_failure": json_value}
        ).map(json.dumps),
    ),
)  # fmt: skip
def test_no_api_body_makes_the_api_fail(fuzz_app, endpoint, body):
    headers = {"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"}
    answer = fuzz_app.test_client().post(
        endpoint, data=body, headers=headers, content_type="application/json"
    )
    assert answer.status_code in (200, 204, 400, 413), answer.get_data(as_text=True)


yaml_scalar = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=20),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from(["2026-05-12", "0000-00-00", "2026-13-01", ".nan", ".inf", "!!binary aGk="]),
)
yaml_tree = st.recursive(
    yaml_scalar,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(
        st.sampled_from(["platforms", "approvals", "accounts", "exemptions", "settings", "id",
                         "domains", "domains_file", "rules", "actions", "paths", "continue_minutes",
                         "approved_on", "policy_url", "users", "networks", "name", "category"]),
        inner,
        max_size=4,
    ),
    max_leaves=12,
)  # fmt: skip


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """YAML as a district might write it, broken in the ways an attacker would break it."""
    text = yaml.safe_dump(draw(yaml_tree), allow_unicode=True)
    cut = draw(st.integers(min_value=0, max_value=len(text)))
    insert = draw(
        st.sampled_from(["", "\x00", "\x07", "&a ", "*a", "!!timestamp ", "[" * 40, "\t", "? "])
    )
    return text[:cut] + insert + text[cut:]


@FUZZ
@given(text=yaml_documents())
def test_the_yaml_loader_reads_or_refuses_with_a_policy_error(text):
    try:
        read_text("fuzz.yaml", text)
    except PolicyError as error:
        assert all(where.file == "fuzz.yaml" for where, _ in error.problems)


@FUZZ
@given(text=yaml_documents().filter(lambda t: "\x00" not in t))
def test_a_hostile_import_is_refused_or_applied_whole(fuzz_app, text):
    before = snapshot(fuzz_app)
    client = fuzz_app.config["FUZZ_ADMIN"]
    answer = client.post("/lists/import", data={"text": text, "apply": "yes"})
    assert answer.status_code in (302, 400)
    if answer.status_code == 400:
        assert snapshot(fuzz_app) == before
    else:
        client.post("/lists/settings", data={"district_name": "USD 999"})  # for the next example
