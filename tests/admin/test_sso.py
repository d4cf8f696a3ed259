"""Sign-in with OpenID Connect against a real provider (panva's oidc-provider on Node, started
here): a district account signs in and waits for a role, another domain is refused, and the
role an admin grants later takes effect."""

from __future__ import annotations

import contextlib
import html
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from admin_harness import make_app
from test_admin_cli import free_port

from admin_web.db import get_db
from admin_web.models import User
from admin_web.models_iibgc import Acknowledgment

pytestmark = pytest.mark.e2e
PROVIDER = Path(__file__).with_name("oidc_provider")
REDIRECT = "http://localhost/login/sso/callback"  # what the Flask test client's site is called


@contextlib.contextmanager
def provider(redirect: str) -> Iterator[str]:
    """The OpenID provider on a free port, knowing one client whose callback is ``redirect``."""
    if not (PROVIDER / "node_modules" / "oidc-provider").exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install the test's OpenID provider"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER, check=True)
    port = free_port()
    argv = ["node", "server.mjs", str(port), "staffguard", "test-secret", redirect]
    process = subprocess.Popen(argv, cwd=PROVIDER, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready"), line
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with provider(REDIRECT) as url:
        yield url


@pytest.fixture
def sso_app(issuer, sqlite_url, tmp_path):
    return make_app(
        sqlite_url,
        tmp_path,
        OIDC_ISSUER=issuer,
        OIDC_CLIENT_ID="staffguard",
        OIDC_CLIENT_SECRET="test-secret",
        OIDC_DOMAINS="usd999.org, @staff.usd999.org",
    )


def sign_in_with_provider(site, login: str, path: str = "/login/sso"):
    """Start at the site, sign in on the provider's own pages, and bring the code back."""
    start = site.get(path)
    assert start.status_code == 302
    browser = requests.Session()
    url = start.headers["Location"]
    for _ in range(10):
        answer = browser.get(url, allow_redirects=False)
        while answer.is_redirect:
            url = urljoin(url, answer.headers["Location"])
            if url.startswith(REDIRECT):
                parts = urlsplit(url)
                return site.get(f"{parts.path}?{parts.query}")
            answer = browser.get(url, allow_redirects=False)
        form = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
        assert form, answer.text[:500]
        fields = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', answer.text)
        )
        fields.update({"login": login, "password": "anything"})
        posted = browser.post(
            urljoin(url, html.unescape(form.group(1))), data=fields, allow_redirects=False
        )
        url = urljoin(url, posted.headers["Location"])
        if url.startswith(REDIRECT):
            parts = urlsplit(url)
            return site.get(f"{parts.path}?{parts.query}")
    raise AssertionError("the provider never sent the browser back")


def test_a_district_account_signs_in_and_waits_for_a_role(sso_app):
    site = sso_app.test_client()
    assert b'id="sso"' in site.get("/login").data
    answer = sign_in_with_provider(site, "New.Teacher@usd999.org")
    assert answer.status_code == 200 and b"has no role yet" in answer.data
    assert site.get("/log").status_code == 403  # signed in, but reaches nothing
    with sso_app.app_context():
        user = get_db().query(User).filter_by(name="new.teacher@usd999.org").one()
        assert user.role == "none"
        user_id = user.id

    admin = sso_app.test_client()
    admin.post("/login", data={"name": "admin@usd999.org", "password": "correct horse battery"})
    listing = admin.get("/users").get_data(as_text=True)
    assert "signed in by SSO; choose a role" in listing
    assert admin.post(f"/users/{user_id}", data={"role": "auditor"}).status_code == 302
    assert site.get("/log").status_code == 302  # the role change ended the old session
    again = sign_in_with_provider(site, "new.teacher@usd999.org")
    assert again.status_code == 302
    assert site.get("/log").status_code == 200


def test_other_domains_and_disabled_accounts_are_refused(sso_app):
    site = sso_app.test_client()
    refused = sign_in_with_provider(site, "someone@gmail.com")
    assert refused.status_code == 403 and b"gmail.com cannot sign in" in refused.data
    lookalike = sign_in_with_provider(site, "x@evilusd999.org")
    assert lookalike.status_code == 403
    unverified = sign_in_with_provider(site, "unverified@usd999.org")
    assert unverified.status_code == 303
    assert site.get("/log").status_code == 302
    with sso_app.app_context():
        assert get_db().query(User).filter(User.name.like("%gmail%")).count() == 0
        approver = get_db().query(User).filter_by(name="approver@usd999.org").one()
        approver.disabled = True
        get_db().commit()
    assert sign_in_with_provider(site, "approver@usd999.org").status_code == 403
    assert site.get("/log").status_code == 302
    # a subdomain listed on its own is allowed
    assert sign_in_with_provider(site, "t@staff.usd999.org").status_code == 200
    # a forged callback (no state of ours) signs nobody in
    forged = sso_app.test_client().get("/login/sso/callback?code=x&state=y")
    assert forged.status_code == 302 and forged.headers["Location"].endswith("/login")


def test_staff_sign_in_to_the_training_page_as_themselves_with_no_admin_session(sso_app):
    site = sso_app.test_client()
    assert b'id="training-sso"' in site.get("/training").data
    answer = sign_in_with_provider(site, "Coach.Bo@usd999.org", "/training/sso")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/training")
    page = site.get("/training?email=someone.else@usd999.org").get_data(as_text=True)
    assert "Signed in with your district account as <strong>coach.bo@usd999.org" in page
    # The form says another address: the signed-in one is acknowledged all the same.
    done = site.post("/training", data={"email": "someone.else@usd999.org", "read": "1"})
    assert done.status_code == 200 and b"coach.bo@usd999.org acknowledged" in done.data
    with sso_app.app_context():
        db = get_db()
        [ack] = db.query(Acknowledgment).all()
        # The name is the provider's name claim.
        assert (ack.email, ack.name) == ("coach.bo@usd999.org", "Coach.Bo@usd999.org")
        assert db.query(User).filter_by(name="coach.bo@usd999.org").count() == 0, "no account"
    assert site.get("/log").status_code == 302, "a staff identity reaches no admin page"
    assert site.get("/training/manage").status_code == 302
    site.post("/training/signout")
    assert b"Signed in with your district account" not in site.get("/training").data


def test_training_sign_in_refuses_other_domains_and_never_becomes_an_admin_sign_in(sso_app):
    site = sso_app.test_client()
    refused = sign_in_with_provider(site, "someone@gmail.com", "/training/sso")
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/training")
    assert b"gmail.com cannot sign in" in site.get("/training").data
    assert b"Signed in with your district account" not in site.get("/training").data
    # An admin sign-in after an abandoned staff one is an admin sign-in.
    site.get("/training/sso")
    admin = sign_in_with_provider(site, "approver@usd999.org")
    assert admin.status_code == 302 and site.get("/log").status_code == 200
    assert b"Signed in with your district account" not in site.get("/training").data


def test_a_group_claim_maps_to_a_role_at_every_sign_in(issuer, sqlite_url, tmp_path):
    site_app = make_app(
        sqlite_url,
        tmp_path,
        OIDC_ISSUER=issuer,
        OIDC_CLIENT_ID="staffguard",
        OIDC_CLIENT_SECRET="test-secret",
        OIDC_DOMAINS="usd999.org",
        OIDC_ROLE_CLAIM="groups",
        OIDC_ROLE_MAP="sg-admins=admin, superintendent=approver, board=auditor",
    )
    site = site_app.test_client()
    # in the groups "board" and "sg-admins" (the provider reads them off the address): the
    # highest mapped role, at once, with no admin's grant
    assert sign_in_with_provider(site, "it+board.sg-admins@usd999.org").status_code == 302
    assert site.get("/users").status_code == 200
    with site_app.app_context():
        assert get_db().query(User).filter_by(name="it+board.sg-admins@usd999.org").one().role == (
            "admin"
        )
    other = site_app.test_client()
    assert sign_in_with_provider(other, "sup+superintendent@usd999.org").status_code == 302
    assert other.get("/users").status_code == 403 and other.get("/log").status_code == 200
    with site_app.app_context():
        assert get_db().query(User).filter_by(name="sup+superintendent@usd999.org").one().role == (
            "approver"
        )
    # an admin's grant does not outlast the directory: no mapped group, no role
    nobody = site_app.test_client()
    answer = sign_in_with_provider(nobody, "t+teachers@usd999.org")
    assert answer.status_code == 200 and b"has no role yet" in answer.data
    with site_app.app_context():
        user = get_db().query(User).filter_by(name="t+teachers@usd999.org").one()
        user.role = "auditor"
        get_db().commit()
    assert sign_in_with_provider(nobody, "t+teachers@usd999.org").status_code == 200
    with site_app.app_context():
        assert get_db().query(User).filter_by(name="t+teachers@usd999.org").one().role == "none"


def test_a_bad_role_map_is_named():
    from admin_web.sso import role_map

    assert role_map("a=admin, b = auditor") == {"a": "admin", "b": "auditor"}
    with pytest.raises(ValueError, match="'x=boss' is not claim-value=role"):
        role_map("a=admin,x=boss")
