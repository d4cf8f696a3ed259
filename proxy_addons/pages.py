"""What the staff member sees: interstitial, block page, notice banner, and the signed tokens
that make "continue" work without any state the site can see.

A continue is proven by two HMAC-signed values, both bound to the client address, the site
(registrable domain) and the activity:

* the *offer* is embedded in the interstitial's form; only the client the page was served to
  can read it, so a page elsewhere cannot post a continue on the staff member's behalf;
* the *pass* is a cookie the proxy sets on the site's domain after a continue. The proxy strips
  it from every request before forwarding, so the site never sees it, and any proxy holding the
  same secret accepts it.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from importlib import resources
from string import Template
from typing import Any

from policy_lists import Verdict

COOKIE_PREFIX = "__staffguard_"
ACTION_PATH = "/.staffguard/"
_TEMPLATES = resources.files("proxy_addons") / "templates"


class Signer:
    """Signs and checks the offer and pass tokens with one shared secret."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def sign(self, kind: str, client: str, site: str, activity: str, expires: int) -> str:
        body = f"{kind}|{client}|{site}|{activity}|{expires}"
        mac = hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{expires}.{mac}"

    def check(self, kind: str, token: str, client: str, site: str, activity: str) -> bool:
        expires_text = token.partition(".")[0]
        if not expires_text.isdigit() or int(expires_text) < time.time():
            return False
        expected = self.sign(kind, client, site, activity, int(expires_text))
        return hmac.compare_digest(expected, token)


def cookie_name(activity: str) -> str:
    return f"{COOKIE_PREFIX}{activity}"


def _template(name: str) -> Template:
    return Template((_TEMPLATES / name).read_text(encoding="utf-8"))


def _e(value: Any) -> str:
    return html.escape(str(value or ""), quote=True)


ACTIVITY_WORDS = {
    "browse": "using",
    "comment": "commenting on",
    "direct_message": "direct messaging on",
    "signup": "setting up an account on",
}


def interstitial(
    verdict: Verdict,
    *,
    offer: str,
    return_path: str,
    settings: dict[str, Any],
    blocked: bool = False,
) -> str:
    """The warn (or block) page for a navigation, ready to send."""
    platform = verdict.platform or verdict.host
    permission = ""
    if verdict.activity == "signup" and settings.get("permission_url"):
        link = f"{settings['permission_url']}?platform={verdict.platform_id}"
        permission = (
            f'<p><a class="button secondary" href="{_e(link)}">Ask the superintendent for '
            "permission</a></p>"
        )
    policy_link = ""
    if settings.get("policy_url"):
        policy_link = f'<p><a href="{_e(settings["policy_url"])}">Read policy IIBGC</a></p>'
    choices = ""
    if not blocked:
        choices = _template("choices.html").substitute(
            action=_e(ACTION_PATH + "continue"),
            back=_e(ACTION_PATH + "back"),
            offer=_e(offer),
            return_path=_e(return_path),
            activity=_e(verdict.activity),
            minutes=_e(settings.get("continue_minutes", 60)),
        )
    return _template("page.html").substitute(
        title="Blocked by district policy" if blocked else "Check the district policy first",
        heading=(
            f"{_e(platform)} is blocked on district devices"
            if blocked
            else f"You are about to start {ACTIVITY_WORDS[verdict.activity]} {_e(platform)}"
        ),
        reason=_e(verdict.reason),
        policy_ref=_e(verdict.policy_ref),
        category=_e(verdict.category.replace("_", " ")),
        host=_e(verdict.host),
        district=_e(settings.get("district_name") or "Your district"),
        permission=permission,
        policy_link=policy_link,
        choices=choices,
    )


def went_back_page(nonce: str) -> str:
    return _template("back.html").substitute(nonce=nonce)


def banner(verdict: Verdict) -> str:
    """A small notice placed at the top of an HTML document; styled inline so it needs nothing
    from the page and survives a page CSP that blocks inline styles (it is then plain text)."""
    return (
        '<div role="status" data-staffguard="notice" style="all:initial;display:block;'
        "font:14px/1.4 system-ui,sans-serif;background:#fff4ce;color:#222;padding:8px 12px;"
        'border-bottom:1px solid #c9a800;position:relative;z-index:2147483647">'
        f"<strong>District policy notice:</strong> {_e(verdict.reason)} "
        f"<small>({_e(verdict.policy_ref)})</small></div>"
    )
