"""What the staff member sees: interstitial, block page, notice banner, and the signed tokens
that make "continue" work without any state the site can see.

Every token is ``expires.mac``: an HMAC (the proxies' shared secret) over its kind, the client
address, a scope, the activity and the expiry. Any proxy holding the secret can check one; none
keeps anything. A malformed token is no token (``Signer.check`` never raises).

* the *offer* (scope: the platform id; 30 minutes) is in the interstitial's form; only the
  client the page was served to can read it, so a page elsewhere cannot post a continue on the
  staff member's behalf;
* the *pass* (scope: the platform id; ``continue_minutes``) is a cookie the proxy sets on the
  registrable domain of the site after a continue. The proxy strips it from every request
  before forwarding, so the site never sees it, and strips any response that tries to set one.

One continue per platform. Cookies stay on one registrable domain, so a pass set on youtube.com
is never sent to youtu.be. Rather than keep state, the proxy lets the browser carry the answer,
lazily and once per domain:

1. a warned GET navigation on a domain of a platform with no valid pass, which is not the
   platform's *home* (its first listed domain), is redirected to
   ``https://<home>/.staffguard/check?to=<url>&activity=..&t=<ticket>``; the *ticket* (scope:
   platform id + a hash of ``to``; 2 minutes) proves the proxy sent the browser there;
2. at the home the proxy sees the home's pass cookie. With a valid one it redirects to
   ``https://<site>/.staffguard/pass?to=..&e=<pass expiry>&g=<grant>``; the *grant* (scope:
   platform id + hash of ``to`` + the expiry; 2 minutes) lets the site set the same pass for
   itself and send the browser on to ``to``. Without one, the interstitial is shown there, and
   a continue sets the pass at the home and goes through the same ``pass`` step back;
3. ``to`` is rebuilt from its parts and must be on a domain of the same platform, so none of
   these steps can send the browser anywhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import re
import secrets
import time
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from policy_lists import Verdict
from staffguard_common.files import secret_file

log = logging.getLogger(__name__)

COOKIE_PREFIX = "__staffguard_"
ACTION_PATH = "/.staffguard/"
_TEMPLATES = resources.files("proxy_addons") / "templates"
# A token is exactly what ``sign`` makes: ASCII digits, a dot, 32 lowercase hex digits. Anything
# else (a '²', 5,000 digits, no dot, a non-hex mac) is no token, decided before any arithmetic.
_TOKEN = re.compile(r"([0-9]{1,12})\.[0-9a-f]{32}", re.ASCII)


class Signer:
    """Signs and checks the offer and pass tokens with one shared secret."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def sign(self, kind: str, client: str, site: str, activity: str, expires: int) -> str:
        body = f"{kind}|{client}|{site}|{activity}|{expires}"
        mac = hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{expires}.{mac}"

    def check(self, kind: str, token: object, client: str, site: str, activity: str) -> bool:
        """True only for a token this signer made for exactly these values and not yet expired.

        Never raises: the token comes from a cookie or a form, which any page on a subdomain of
        the site can plant, so a malformed one must count as no token, never as a fault."""
        if not isinstance(token, str) or (match := _TOKEN.fullmatch(token)) is None:
            return False
        expires = int(match.group(1))
        if expires < time.time():
            return False
        expected = self.sign(kind, client, site, activity, expires)
        return hmac.compare_digest(expected.encode(), token.encode())


def secret_key(data: Path, option: str) -> bytes:
    """The signing key: the option, else a random key kept in the data directory (replaced if
    it is empty or short, never used weak). A directory that cannot keep it gives a key in
    memory, with a warning: passes then last until the restart and are not shared."""
    if option:
        return option.encode()
    try:
        return secret_file(data / "secret").encode()
    except OSError as error:
        log.warning("staffguard: cannot keep the continue key in %s (%s)", data, error)
        return secrets.token_hex(32).encode()


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
    to: str = "",
) -> str:
    """The warn (or block) page for a navigation, ready to send. ``to``: the URL on another
    domain of the platform to continue to, when the page is shown at the platform's home."""
    platform = verdict.platform or verdict.host
    permission = ""
    if verdict.activity == "signup" and _web_url(settings.get("permission_url")):
        link = f"{settings['permission_url']}?platform={verdict.platform_id}"
        permission = (
            f'<p><a class="button secondary" href="{_e(link)}">Ask the superintendent for '
            "permission</a></p>"
        )
    policy_link = ""
    if _web_url(settings.get("policy_url")):
        policy_link = f'<p><a href="{_e(settings["policy_url"])}">Read policy IIBGC</a></p>'
    choices = ""
    if not blocked:
        choices = _template("choices.html").substitute(
            action=_e(ACTION_PATH + "continue"),
            back=_e(ACTION_PATH + "back"),
            offer=_e(offer),
            return_path=_e(return_path),
            to=_e(to),
            activity=_e(verdict.activity),
            minutes=_e(continue_minutes(settings)),
        )
    return _template("page.html").substitute(
        title="Blocked by district policy" if blocked else "Check the district policy first",
        heading=(
            f"{_e(platform)} is blocked on district devices"
            if blocked
            else f"You are about to start {ACTIVITY_WORDS.get(verdict.activity, 'using')} "
            f"{_e(platform)}"
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


def continue_minutes(settings: Any) -> int:
    """How long a continue lasts; the compiled policy's value when it is a sane one."""
    value = settings.get("continue_minutes", 60)
    return value if isinstance(value, int) and 1 <= value <= 7 * 24 * 60 else 60


def _web_url(value: object) -> bool:
    """Only http(s) links go on the page (never ``javascript:``, whatever a list says)."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


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


_FALLBACK = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Check the district policy first</title></head>
<body style="font:17px/1.5 system-ui,sans-serif;max-width:36rem;margin:10vh auto;padding:0 1rem">
<h1>{heading}</h1>
<p>This site is covered by the district's staff social media policy (IIBGC). StaffGuard could
not build its full page just now; reload the page to see your choices.</p></body></html>"""


def fallback(blocked: bool) -> bytes:
    """A static page for when building the real one failed: a warning is never skipped because
    StaffGuard stumbled while drawing it. It holds no request data, so it cannot fail itself."""
    heading = "Blocked by district policy" if blocked else "Check the district policy first"
    return _FALLBACK.format(heading=heading).encode()
