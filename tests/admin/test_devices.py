"""Device enrollment: the district's enrollment key and a staff email of its domains buy a
device token bound to that user; wrong, revoked or rotated keys and other domains are refused,
refusals are throttled per address, and the device token asks for signed identities that the
published public keys verify."""

from __future__ import annotations

import html
import re
import time
import uuid

import pytest
from admin_harness import make_app
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import BadSignatureError
from test_admin_cli import run

from admin_web import device_list, identity
from admin_web.auth import create_token, rotate_token
from admin_web.db import get_db
from admin_web.models import Event, Token
from staffguard_testkit.events import event


@pytest.fixture
def app(database_url, tmp_path):
    return make_app(database_url, tmp_path, ENROLL_DOMAINS="usd999.org, staff.usd999.org")


@pytest.fixture
def key(app) -> str:
    with app.app_context():
        value = create_token("district-key", "enroll")
        get_db().commit()
    return value


def enroll(client, key: str, user: str = "Teacher@usd999.org", device: str | None = "cb-12"):
    body = {"enrollment_key": key, "user": user}
    if device is not None:
        body["device_name"] = device
    return client.post("/api/v1/devices/enroll", json=body)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_good_key_gets_a_device_token_bound_to_the_user(app, client, key):
    answer = enroll(client, key)
    assert answer.status_code == 201, answer.json
    assert answer.json["user"] == "teacher@usd999.org" and answer.json["scope"] == "device"
    token = answer.json["token"]
    assert client.get("/api/v1/policy", headers=bearer(token)).status_code == 200
    own = event(user="teacher@usd999.org")
    assert client.post("/api/v1/events", json=[own], headers=bearer(token)).status_code == 200
    other = event(id=str(uuid.uuid4()), user="principal@usd999.org")
    refused = client.post("/api/v1/events", json=[other], headers=bearer(token))
    assert refused.status_code == 400 and "own user" in refused.json["error"]
    with app.app_context():
        rows = get_db().query(Event).all()
        assert [(r.user, r.reporter) for r in rows] == [("teacher@usd999.org", answer.json["name"])]
        device = get_db().query(Token).filter_by(scope="device").one()
        assert (device.user, device.device) == ("teacher@usd999.org", "cb-12")
    # the enrollment key itself is no API token
    assert client.get("/api/v1/policy", headers=bearer(key)).status_code == 403


def device_tokens(app) -> list[tuple[str, str]]:
    with app.app_context():
        return sorted((t.user, t.device) for t in get_db().query(Token).filter_by(scope="device"))


def test_a_colleague_with_the_key_cannot_revoke_a_device_by_naming_it(app, client, key):
    """The enrollment key is readable by every staff member: enrolling the teacher's user and
    device name again adds a device, and the teacher's device keeps working."""
    teachers = enroll(client, key).json["token"]
    guessed = enroll(client, key)  # same user, same device name, no proof
    assert guessed.status_code == 201 and guessed.json["replaced"] is False
    assert client.get("/api/v1/policy", headers=bearer(teachers)).status_code == 200
    assert client.get("/api/v1/policy", headers=bearer(guessed.json["token"])).status_code == 200
    assert device_tokens(app) == [("teacher@usd999.org", "cb-12")] * 2  # both listed for admins


def test_a_device_that_proves_its_token_replaces_it(app, client, key):
    first = enroll(client, key).json["token"]
    again = client.post(
        "/api/v1/devices/enroll",
        json={"enrollment_key": key, "user": "teacher@usd999.org", "device_name": "cb-12",
              "previous_token": first},
    )  # fmt: skip
    assert again.status_code == 201 and again.json["replaced"] is True
    assert client.get("/api/v1/policy", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/policy", headers=bearer(again.json["token"])).status_code == 200
    assert device_tokens(app) == [("teacher@usd999.org", "cb-12")]
    assert enroll(client, key, device=None).status_code == 201  # another device, default name
    assert len(device_tokens(app)) == 2


@pytest.mark.parametrize("which", ["another user's", "revoked", "made up", "the enrollment key"])
def test_a_previous_token_that_is_not_this_users_device_replaces_nothing(app, client, key, which):
    colleague = enroll(client, key, user="principal@usd999.org").json["token"]
    mine = enroll(client, key).json["token"]
    with app.app_context():
        get_db().query(Token).filter_by(user="teacher@usd999.org").delete()
        get_db().commit()
    previous = {"another user's": colleague, "revoked": mine, "made up": "x" * 43,
                "the enrollment key": key}[which]  # fmt: skip
    body = {"enrollment_key": key, "user": "teacher@usd999.org", "previous_token": previous}
    answer = client.post("/api/v1/devices/enroll", json=body)
    assert answer.status_code == 201 and answer.json["replaced"] is False
    assert client.get("/api/v1/policy", headers=bearer(colleague)).status_code == 200
    assert client.get("/api/v1/policy", headers=bearer(key)).status_code == 403  # still the key
    assert len(device_tokens(app)) == 2


@pytest.mark.parametrize("previous", [42, "", "x" * 501, ["t"]])
def test_a_malformed_previous_token_is_a_400(client, key, previous):
    body = {"enrollment_key": key, "user": "teacher@usd999.org", "previous_token": previous}
    answer = client.post("/api/v1/devices/enroll", json=body)
    assert answer.status_code == 400 and "previous_token" in answer.json["error"]


@pytest.mark.parametrize(
    ("user", "status", "says"),
    [
        ("someone@gmail.com", 403, "not an email of the district"),
        ("x@evilusd999.org", 403, "not an email of the district"),
        ("usd999.org", 403, "not an email of the district"),
        ("a@b@usd999.org", 403, "not an email of the district"),
        ("a b@usd999.org", 403, "not an email of the district"),
        ("@usd999.org", 403, "not an email of the district"),
        ("", 400, "user must be"),
    ],
)
def test_other_domains_and_non_emails_are_refused(client, key, user, status, says):
    answer = enroll(client, key, user=user)
    assert answer.status_code == status and says in answer.json["error"]
    assert "token" not in answer.json


def test_a_subdomain_listed_on_its_own_may_enroll(client, key):
    assert enroll(client, key, user="t@staff.usd999.org").status_code == 201


def test_wrong_revoked_and_rotated_keys_are_refused(app, client, key):
    assert enroll(client, "sg_wrong").status_code == 401
    with app.app_context():
        proxy = create_token("proxy-1")  # another scope's token is no enrollment key
        new = rotate_token("district-key")
        get_db().commit()
    assert enroll(client, proxy).status_code == 401
    assert enroll(client, key).status_code == 401  # the value before the rotation
    assert enroll(client, new).status_code == 201
    admin = app.test_client()
    admin.post("/login", data={"name": "admin@usd999.org", "password": "correct horse battery"})
    revoked = admin.post("/tokens", data={"name": "district-key", "revoke": "1"})
    assert revoked.status_code == 302
    answer = enroll(client, new)
    assert answer.status_code == 401 and "revoked" in answer.json["error"]


def test_without_allowed_domains_enrollment_is_off(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("STAFFGUARD_ENROLL_DOMAINS", raising=False)
    monkeypatch.delenv("STAFFGUARD_OIDC_DOMAINS", raising=False)
    site = make_app(database_url, tmp_path)
    with site.app_context():
        value = create_token("k", "enroll")
        get_db().commit()
    answer = enroll(site.test_client(), value)
    assert answer.status_code == 403 and "enrollment is off" in answer.json["error"]


def test_the_sso_domains_serve_when_no_enrollment_domains_are_set(sqlite_url, tmp_path):
    site = make_app(sqlite_url, tmp_path, OIDC_DOMAINS="usd999.org")
    with site.app_context():
        value = create_token("k", "enroll")
        get_db().commit()
    assert enroll(site.test_client(), value).status_code == 201
    assert enroll(site.test_client(), value, user="a@b.org").status_code == 403


def test_refusals_are_throttled_per_address_but_enrollments_are_not(client, key):
    for _ in range(12):
        assert enroll(client, key).status_code == 201  # a school NAT on rollout day
    for _ in range(12):  # students' Chromebooks with the valid key: refused, not throttled
        assert enroll(client, key, user="student@students.usd999.org").status_code == 403
    for _ in range(10):
        assert enroll(client, "sg_guess").status_code == 401
    throttled = enroll(client, key)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    elsewhere = client.post(
        "/api/v1/devices/enroll",
        json={"enrollment_key": key, "user": "t@usd999.org"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert elsewhere.status_code == 201


def test_a_device_gets_a_signed_identity_the_published_keys_verify(app, client, key):
    token = enroll(client, key).json["token"]
    answer = client.post("/api/v1/devices/identity", headers=bearer(token))
    assert answer.status_code == 200
    assert answer.json["header"] == "X-StaffGuard-Identity"
    keys = client.get("/api/v1/identity/keys")
    assert keys.status_code == 200 and keys.json["keys"][0]["crv"] == "Ed25519"
    assert all("d" not in jwk for jwk in keys.json["keys"])  # never the private part
    claims = JsonWebToken(["EdDSA"]).decode(
        answer.json["assertion"], JsonWebKey.import_key_set(keys.json)
    )
    claims.validate()
    assert claims["sub"] == "teacher@usd999.org" and claims["aud"] == "staffguard-proxy"
    assert 14 * 60 <= claims["exp"] - time.time() <= 15 * 60 + 5
    # only device tokens get identities
    with app.app_context():
        proxy = create_token("proxy-1")
        get_db().commit()
    assert client.get("/api/v1/devices/identity", headers=bearer(proxy)).status_code == 403
    assert client.get("/api/v1/devices/identity").status_code == 401


def test_a_rotated_key_stays_published_for_a_while_and_the_new_one_signs(app, client, key):
    token = enroll(client, key).json["token"]
    before = client.get("/api/v1/devices/identity", headers=bearer(token)).json["assertion"]
    with app.app_context():
        old = identity.signing_key(get_db()).kid
        new = identity.rotate(get_db()).kid
        get_db().commit()
    kids = [k["kid"] for k in client.get("/api/v1/identity/keys").json["keys"]]
    assert kids == [new, old]
    after = client.get("/api/v1/devices/identity", headers=bearer(token)).json["assertion"]
    only_new = {
        "keys": [k for k in client.get("/api/v1/identity/keys").json["keys"] if k["kid"] == new]
    }
    jwt = JsonWebToken(["EdDSA"])
    assert jwt.decode(after, JsonWebKey.import_key_set(only_new))["sub"] == "teacher@usd999.org"
    with pytest.raises(Exception):  # noqa: B017 - the old key's assertion needs the old key
        jwt.decode(before, JsonWebKey.import_key_set(only_new))
    forged = before[:-4] + ("AAAA" if not before.endswith("AAAA") else "BBBB")
    with pytest.raises(BadSignatureError):
        jwt.decode(forged, JsonWebKey.import_key_set(client.get("/api/v1/identity/keys").json))


def test_admins_see_enrolled_devices_and_revoke_them(app, client, key, auth):
    token = enroll(client, key).json["token"]
    client.get("/api/v1/policy", headers=bearer(token))
    auth.login()
    page = client.get("/users").get_data(as_text=True)
    devices = page.split('id="device-list"', 1)[1].split("</table>", 1)[0]
    assert "teacher@usd999.org" in devices and "cb-12" in devices and "never" not in devices
    with app.app_context():
        name = get_db().query(Token).filter_by(scope="device").one().name
    assert client.post("/tokens", data={"name": name, "revoke": "1"}).status_code == 302
    device = app.test_client()  # not signed in, as the extension
    assert device.get("/api/v1/policy", headers=bearer(token)).status_code == 401
    assert "No device has enrolled yet" in client.get("/users").get_data(as_text=True)


def device_rows(page: str) -> list[tuple[str, str]]:
    """(user, device) of each row of the page's device table."""
    table = page.split('id="device-list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>", table)


def next_page(page: str) -> str | None:
    found = re.search(r'<a href="([^"]*)" rel="next">More devices', page)
    return html.unescape(found.group(1)) if found else None


def test_a_thousand_devices_come_a_page_at_a_time_and_by_user(app, client, auth):
    """A district's rollout: the page lists 50 devices at a time, by user then enrollment,
    every device exactly once across the pages, even when one is revoked between pages."""
    with app.app_context():
        db = get_db()
        for n in range(120):
            user = f"t{n // 3:03d}@usd999.org"
            name = f"cb-{n} ({user})"
            db.add(
                Token(name=name, digest=f"{n:064x}", scope="device", user=user, device=f"cb-{n}")
            )
        db.add(Token(name="100%_sure (x@usd999.org)", digest="f" * 64, scope="device",
                     user="100%_sure@usd999.org", device="odd"))  # fmt: skip
        db.commit()
    auth.login()
    page = client.get("/users").get_data(as_text=True)
    assert "121 devices, 50 on this page." in page
    seen: list[tuple[str, str]] = []
    while True:
        rows = device_rows(page)
        assert 0 < len(rows) <= device_list.PAGE
        seen += rows
        url = next_page(page)
        if url is None:
            break
        if len(seen) == 50:  # a device of the next page revoked meanwhile: nothing shifts
            revoke = {"name": "cb-51 (t017@usd999.org)", "revoke": "1"}
            assert client.post("/tokens", data=revoke).status_code == 302
        page = client.get(url).get_data(as_text=True)
    expected = [("100%_sure@usd999.org", "odd")]
    expected += [(f"t{n // 3:03d}@usd999.org", f"cb-{n}") for n in range(120) if n != 51]
    assert seen == expected

    found = client.get("/users?device_user=T01").get_data(as_text=True)
    assert device_rows(found) == [(f"t{n // 3:03d}@usd999.org", f"cb-{n}") for n in range(30, 60)
                                  if n != 51]  # fmt: skip
    assert "29 devices of users matching “T01”." in found and next_page(found) is None
    odd = client.get("/users?device_user=%25_").get_data(as_text=True)  # % and _ are letters
    assert device_rows(odd) == [("100%_sure@usd999.org", "odd")]
    none = client.get("/users?device_user=nobody").get_data(as_text=True)
    assert device_rows(none) == [] and "No device of such a user." in none
    assert device_rows(client.get("/users?device_after=junk").get_data(as_text=True))


def test_enrollment_keys_and_devices_from_the_command_line(tmp_path):
    made = run(["tokens", "create", "district-key", "--scope", "enroll"], tmp_path)
    assert made.returncode == 0, made.stderr
    first = made.stdout.strip().splitlines()[-1]
    rotated = run(["tokens", "rotate", "district-key"], tmp_path)
    assert rotated.returncode == 0 and rotated.stdout.strip().splitlines()[-1] != first
    assert run(["tokens", "rotate", "nothing"], tmp_path).returncode == 2
    listed = run(["tokens", "devices"], tmp_path)
    assert listed.returncode == 0 and listed.stdout == ""
    key = run(["identity", "rotate-key"], tmp_path)
    assert key.returncode == 0 and "in force" in key.stdout
