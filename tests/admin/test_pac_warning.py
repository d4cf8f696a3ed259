"""The dashboard warns admins when the PAC file points devices at a loopback proxy while the
site is reached from elsewhere: those devices silently go DIRECT (issue 12 item 17)."""

from __future__ import annotations

from admin_harness import PASSWORD

WARNING = b'data-testid="pac-warning"'
SITE = "http://staffguard.usd999.org"


def _login(client, role: str) -> None:
    for base in (SITE, "http://127.0.0.1:8080"):  # the session cookie is per host
        data = {"name": f"{role}@usd999.org", "password": PASSWORD}
        assert client.post("/login", data=data, base_url=base).status_code == 302


def test_admins_are_warned_of_a_loopback_pac_on_a_site_reached_from_elsewhere(app, client):
    _login(client, "admin")
    remote = client.get("/", base_url=SITE)
    assert remote.status_code == 200 and WARNING in remote.data
    assert b"STAFFGUARD_PROXY_ADDRESS" in remote.data
    assert WARNING not in client.get("/", base_url="http://127.0.0.1:8080").data  # trying it
    app.config["PROXY_ADDRESS"] = "proxy.usd999.org:8081, 127.0.0.1:8081"
    assert WARNING not in client.get("/", base_url=SITE).data


def test_only_admins_see_the_pac_warning(client):
    _login(client, "auditor")
    page = client.get("/", base_url=SITE)
    assert page.status_code == 200 and WARNING not in page.data
