"""The PAC file lists every proxy in failover order, then DIRECT."""

from __future__ import annotations

import doctest

from admin_harness import make_app

import admin_web.pac


def test_the_module_examples_hold():
    assert doctest.testmod(admin_web.pac).failed == 0


def test_the_setting_lists_proxies_in_order_and_a_query_overrides_it(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, PROXY_ADDRESS="p1.usd999.org:8081, p2.usd999.org:8081")
    client = app.test_client()
    pac = client.get("/proxy.pac").get_data(as_text=True)
    assert "return 'PROXY p1.usd999.org:8081; PROXY p2.usd999.org:8081; DIRECT';" in pac
    pac = client.get("/proxy.pac?proxy=p2.usd999.org:8081,p1.usd999.org:8081,p2.usd999.org:8081")
    assert "'PROXY p2.usd999.org:8081; PROXY p1.usd999.org:8081; DIRECT'" in pac.get_data(
        as_text=True
    )
    hostile = client.get("/proxy.pac?proxy=a:1';alert(1);'").get_data(as_text=True)
    assert "alert(1)" not in hostile and "'PROXY a:1alert1; DIRECT'" in hostile
