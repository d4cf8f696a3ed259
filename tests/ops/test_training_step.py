"""The one-time "read and acknowledge" step on the proxy's interstitial, end to end: a real
admin site (training status and acknowledgment API), a real mitmdump fed by it, a staff member
known by proxy authentication."""

from __future__ import annotations

import base64
import html
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from admin_harness import make_app
from proxy_harness import Proxy, Upstream
from werkzeug.serving import make_server

from admin_web import staff
from admin_web.auth import create_token
from admin_web.db import get_db
from admin_web.models_iibgc import Acknowledgment
from staffguard_testkit.headers import NAVIGATE

pytestmark = pytest.mark.e2e

USER = "ana@usd999.org"
AUTH = {"Proxy-Authorization": "Basic " + base64.b64encode(f"{USER}:pw".encode()).decode()}
PAGE = "https://www.tiktok.com/@lincolnhigh"


@pytest.fixture
def district(sqlite_url: str, tmp_path: Path) -> Iterator[tuple]:
    app = make_app(sqlite_url, tmp_path)
    with app.app_context():
        token = create_token("proxy-1")
        get_db().commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "upstream").mkdir()
    upstream = Upstream(tmp_path / "upstream")
    proxy = Proxy(tmp_path / "proxy", upstream, [f"http://127.0.0.1:{server.server_port}"], token)
    proxy.options = [f"proxyauth={USER}:pw"]
    yield app, proxy.start(), server
    proxy.stop()
    upstream.close()
    server.shutdown()


def step_form(page: str) -> dict[str, str]:
    section = re.search(r'<section class="training".*?</section>', page, re.S)
    assert section, "the training step is on the page"
    return {
        k: html.unescape(v)
        for k, v in re.findall(r'name="(ack|return)" value="([^"]*)"', section.group(0))
    }


def test_the_step_records_the_acknowledgment_once_and_then_stays_away(district):
    app, proxy, _ = district
    response, page, _ = proxy.get(PAGE, NAVIGATE, tunnel=AUTH)
    text = page.decode()
    assert response.status == 200 and "Continue for district work" in text, "the page is whole"
    assert "Please read and acknowledge" in text and "/training?email=ana@usd999.org" in text

    form = step_form(text)
    response, _, _ = proxy.get(
        "https://www.tiktok.com/.staffguard/acknowledge",
        {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
        method="POST",
        body=f"ack={form['ack']}&return={form['return']}",
        tunnel=AUTH,
    )
    assert response.status == 303 and response.getheader("Location") == PAGE
    with app.app_context():
        db = get_db()
        [row] = db.query(Acknowledgment).all()
        assert row.email == USER and row.period == staff.current_period(db)
        assert row.policy_revision == staff.policy_revision(db) and row.via == "proxy"

    _, page, _ = proxy.get(PAGE, NAVIGATE, tunnel=AUTH)
    assert "Continue for district work" in page.decode()
    assert 'class="training"' not in page.decode(), "acknowledged: no step for the period"


def test_a_forged_acknowledgment_is_refused(district):
    app, proxy, _ = district
    response, _, _ = proxy.get(
        "https://www.tiktok.com/.staffguard/acknowledge",
        {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
        method="POST",
        body="ack=99999999999.0123456789abcdef0123456789abcdef&return=/",
        tunnel=AUTH,
    )
    assert response.status == 403
    with app.app_context():
        assert get_db().query(Acknowledgment).count() == 0


def test_with_the_admin_site_down_the_page_comes_without_the_step(district):
    _, proxy, server = district
    server.shutdown()
    server.server_close()
    response, page, _ = proxy.get(PAGE, NAVIGATE, tunnel=AUTH)
    assert response.status == 200 and b"Continue for district work" in page
    assert b'class="training"' not in page
