"""The PAC file: only hosts that need a policy decision go through the proxies, in order.

Several proxies behind one district name share a continue key, so a browser may use any of them;
the PAC lists them all (``STAFFGUARD_PROXY_ADDRESS=a:8081,b:8081`` or ``?proxy=a:8081,b:8081``)
and browsers fail over from one to the next (``PROXY a:8081; PROXY b:8081; DIRECT``). ``DIRECT``
comes last so that a proxy outage never cuts staff off the web: StaffGuard fails open.

>>> directive("proxy-a.usd999.org:8081, proxy-b.usd999.org:8081")
'PROXY proxy-a.usd999.org:8081; PROXY proxy-b.usd999.org:8081; DIRECT'
>>> directive("a:1;'); alert(1)//")
'PROXY a:1alert1; DIRECT'
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request

from policy_lists import Policy

from .db import get_db
from .versions import current_policy

bp = Blueprint("pac", __name__)
ADDRESS_CHARACTERS = frozenset(".:-[]")


def directive(addresses: str) -> str:
    """``PROXY a; PROXY b; DIRECT`` from a comma list; anything but a host:port is dropped."""
    proxies = []
    for raw in addresses.split(","):
        address = "".join(c for c in raw if c.isalnum() or c in ADDRESS_CHARACTERS)
        if address and address not in proxies:
            proxies.append(address)
    return "; ".join([*(f"PROXY {address}" for address in proxies), "DIRECT"])


@bp.get("/proxy.pac")
def proxy_pac() -> Any:
    route = directive(request.args.get("proxy") or current_app.config["PROXY_ADDRESS"])
    body = pac_script(current_policy(get_db()), route)
    return Response(body, 200, {"Content-Type": "application/x-ns-proxy-autoconfig"})


def pac_script(policy: Policy, route: str) -> str:
    """The PAC file's text: ``route`` for the domains of platforms that need a decision (and
    their subdomains), ``DIRECT`` for everything else. ``bench/pac_share.py`` runs it too."""
    # staffguard.invalid: the extension asks the proxy whether it is there (no double warning)
    domains = sorted(
        {
            domain
            for raw in policy.compiled["platforms"]
            if policy.platforms[raw["id"]].needs_decision
            for domain in raw["domains"]
        }
        | {"staffguard.invalid"}
    )
    return (
        "// StaffGuard: only hosts that need a policy decision go through the proxy.\n"
        f"// policy version {policy.version}\n"
        f"var domains = {json.dumps(domains)};\n"
        "function FindProxyForURL(url, host) {\n"
        "  host = host.toLowerCase();\n"
        "  for (var i = 0; i < domains.length; i++) {\n"
        "    var d = domains[i];\n"
        "    if (host === d || dnsDomainIs(host, '.' + d)) {\n"
        f"      return '{route}';\n"
        "    }\n"
        "  }\n"
        "  return 'DIRECT';\n"
        "}\n"
    )
