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

import hmac
import html
import json
import logging
import re
import secrets
import time
import urllib.parse
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from policy_lists import Verdict
from policy_lists.lms import Finding
from staffguard_common.files import secret_file

log = logging.getLogger(__name__)

COOKIE_PREFIX = "__staffguard_"
ACTION_PATH = "/.staffguard/"
_TEMPLATES = resources.files("proxy_addons") / "templates"
# A token is exactly what ``sign`` makes: ASCII digits, a dot, 32 lowercase hex digits. Anything
# else (a '²', 5,000 digits, no dot, a non-hex mac) is no token, decided before any arithmetic.
_TOKEN = re.compile(r"([0-9]{1,12})\.[0-9a-f]{32}", re.ASCII)
_PLACEHOLDER = re.compile(r"\$([a-z_]+)")  # the templates' only syntax: $name


class Signer:
    """Signs and checks the offer and pass tokens with one shared secret."""

    def __init__(self, secret: bytes):
        self._secret = secret
        # Keyed once: a copy of this state signs a token in a third of the time a new HMAC
        # takes (the key's two padded blocks are hashed here, not per token).
        self._keyed = hmac.new(secret, digestmod="sha256")

    def sign(self, kind: str, client: str, site: str, activity: str, expires: int) -> str:
        mac = self._keyed.copy()
        mac.update(f"{kind}|{client}|{site}|{activity}|{expires}".encode())
        return f"{expires}.{mac.hexdigest()[:32]}"

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


def _e(value: Any) -> str:
    return html.escape(str(value or ""), quote=True)


def _e_kept(value: Any) -> str:
    """``_e`` for text that comes back page after page (the policy's words, the host):
    escaped once, then looked up. Per-request text (a token, a path) goes through ``_e``, so
    it never pushes these out."""
    return _escaped(value) if isinstance(value, str) else _e(value)


@lru_cache(maxsize=4096)
def _escaped(text: str) -> str:
    return html.escape(text, quote=True)


def _texts() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((_TEMPLATES / "staff.json").read_text(encoding="utf-8"))
    return loaded


# One set of words and one stylesheet for the proxy's pages and the extension's (which ships
# a copy of both in extension/staff_pages/, written by ``python -m proxy_addons.pages``).
TEXTS = _texts()
STYLESHEET = (_TEMPLATES / "staff.css").read_text(encoding="utf-8")
ACTIVITY_WORDS: dict[str, str] = TEXTS["activity_words"]
PRESENTATION: dict[str, Any] = TEXTS["presentation"]


def presentation(verdict: Verdict, navigation: bool) -> str | None:
    """What the staff member sees for this verdict: for a top-level navigation "interstitial",
    "block", "banner" or None; for any other request "banner", "blocked" or None. A function of
    the verdict alone, defined in staff.json, so the proxy and the extension (decide.js) show
    the same thing for the same verdict (tests/vectors/cases/presentation.json holds both)."""
    if navigation:
        shown: str | None = PRESENTATION["navigation"].get(verdict.action)
        return shown
    if verdict.activity == "browse":
        return None  # page assets and reads: the page they belong to was the verdict
    shown = PRESENTATION["request"].get(verdict.action)
    return shown


def heading(verdict: Verdict, blocked: bool) -> str:
    """The page's heading, worded by activity: a block of sign-up is not a block of the site."""
    return _heading(verdict.platform or verdict.host, verdict.activity, blocked)


@lru_cache(maxsize=1024)
def _heading(platform: str, activity: str, blocked: bool) -> str:
    """``heading``'s words, made once per platform, activity and kind of page."""
    doing = ACTIVITY_WORDS.get(activity, ACTIVITY_WORDS["browse"])
    if not blocked:
        pattern = TEXTS["heading"]["warn"]
    elif activity == "browse":
        pattern = TEXTS["heading"]["block_browse"]
    else:
        pattern = TEXTS["heading"]["block"]
    return str(pattern).format(doing=doing, Doing=doing[:1].upper() + doing[1:], platform=platform)


def permission_link(verdict: Verdict, settings: Any) -> str | None:
    """The permission form for this platform (settings ``permission_url``, which the admin site
    fills in), for a sign-up only: that is what staff need the superintendent's permission for."""
    url = settings.get("permission_url")
    if verdict.activity != "signup" or not _web_url(url) or not verdict.platform_id:
        return None
    return f"{url}?platform={urllib.parse.quote(verdict.platform_id, safe='')}"


def interstitial(
    verdict: Verdict,
    *,
    offer: str,
    return_path: str,
    settings: dict[str, Any],
    blocked: bool = False,
    to: str = "",
    training: str = "",
) -> str:
    """The warn (or block) page for a navigation, ready to send. ``to``: the URL on another
    domain of the platform to continue to, when the page is shown at the platform's home.
    A block page offers Go back only; a warn page Go back and Continue."""
    permission = ""
    if link := permission_link(verdict, settings):
        permission = (
            f'<p><a class="button secondary" href="{_e(link)}">{_e(TEXTS["permission_link"])}'
            "</a></p>"
        )
    policy_link = ""
    if _web_url(settings.get("policy_url")):
        policy_link = (
            f'<p><a href="{_e(settings["policy_url"])}">{_e(TEXTS["policy_link"])}</a></p>'
        )
    return _page_template(blocked, continue_minutes(settings)).fill(
        {
            "offer": _e(offer),
            "return_path": _e(return_path),
            "to": _e(to),
            "activity": _e_kept(verdict.activity),
            "heading": _e_kept(heading(verdict, blocked)),
            "reason": _e_kept(verdict.reason),
            "policy_ref": _e_kept(verdict.policy_ref),
            "category": _e_kept(verdict.category.replace("_", " ")),
            "host": _e_kept(verdict.host),
            "district": _e_kept(settings.get("district_name") or TEXTS["district_fallback"]),
            "permission": permission,
            "policy_link": policy_link,
            "training": training,
        }
    )


def training_step(period: str, url: str, ack: str, return_path: str) -> str:
    """The one-time "read and acknowledge" step, placed above the page's choices when the
    staff member's yearly acknowledgment is due: a link to the training page and a button that
    records it (``/.staffguard/acknowledge``, ``ack``: a signed token for this client and user).
    Nothing else on the page changes, so the step never holds up going on or going back."""
    if not _web_url(url):
        return ""
    words = TEXTS["training"]
    return (
        '<section class="training" data-staffguard="training">'
        f"<h2>{_e(words['heading'])}</h2>"
        f"<p>{_e(str(words['text']).format(period=period))}</p>"
        f'<p><a href="{_e(url)}" target="_blank" rel="noopener">{_e(words["read"])}</a></p>'
        f'<form method="post" action="{_e(ACTION_PATH + "acknowledge")}">'
        f'<input type="hidden" name="ack" value="{_e(ack)}">'
        f'<input type="hidden" name="return" value="{_e(return_path)}">'
        f'<button class="secondary" type="submit">{_e(words["acknowledge"])}</button>'
        "</form></section>"
    )


@lru_cache(maxsize=32)
def _page_template(blocked: bool, minutes: int) -> _Template:
    """page.html with choices.html inside it and everything that is the same on every such
    page filled in (the stylesheet, the words, the buttons), built once: a page then costs
    joining what differs between those pieces, not two template parses and a file read."""
    choices = _format(
        "choices.html",
        action=ACTION_PATH + "continue",
        back=ACTION_PATH + "back",
        justify=(
            ""
            if blocked
            else f'<label for="justification">{_e(TEXTS["justification_label"])}</label>\n'
            '    <textarea id="justification" name="justification" maxlength="500"></textarea>'
        ),
        go_back=_e(TEXTS["go_back"]),
        continue_button=(
            ""
            if blocked
            else '<button class="secondary" type="submit" name="choice" value="continue">'
            f"{_e(TEXTS['continue'])}</button>"
        ),
        remember=(
            ""
            if blocked
            else f"<p><small>{_e(TEXTS['remember'].format(minutes=minutes))}</small></p>"
        ),
    )
    return _format(
        "page.html",
        title=_e(TEXTS["title"]["block" if blocked else "warn"]),
        stylesheet=STYLESHEET,
        site_label=_e(TEXTS["site"]),
        category_label=_e(TEXTS["category"]),
        choices=choices,
    )


class _Template(NamedTuple):
    """A template cut at the placeholders a page fills in: ``texts`` has one more item than
    ``names``, and the page is ``texts[0] + value(names[0]) + texts[1] + ...``. Joining these
    pieces costs half of a ``%`` formatting, which scans all 3 KB of a page each time."""

    texts: tuple[str, ...]
    names: tuple[str, ...]

    def fill(self, values: dict[str, str]) -> str:
        parts = [self.texts[0]]
        for name, text in zip(self.names, self.texts[1:], strict=True):
            parts += (values[name], text)
        return "".join(parts)


def _format(name: str, **constants: str | _Template) -> _Template:
    """Template ``name`` with each ``$placeholder`` given in ``constants`` filled in now (a
    ``_Template`` is spliced in whole); every other one is left for the page to fill in."""
    pieces = _PLACEHOLDER.split((_TEMPLATES / name).read_text(encoding="utf-8"))
    texts, names = [pieces[0]], []
    for placeholder, text in zip(pieces[1::2], pieces[2::2], strict=True):
        value = constants.get(placeholder)
        if value is None:
            names.append(placeholder)
            texts.append(text)
        elif isinstance(value, _Template):
            texts[-1] += value.texts[0]
            names += value.names
            texts += value.texts[1:]
            texts[-1] += text
        else:
            texts[-1] += value + text
    return _Template(tuple(texts), tuple(names))


def continue_minutes(settings: Any) -> int:
    """How long a continue lasts; the compiled policy's value when it is a sane one."""
    value = settings.get("continue_minutes", 60)
    return value if isinstance(value, int) and 1 <= value <= 7 * 24 * 60 else 60


def _web_url(value: object) -> bool:
    """Only http(s) links go on the page (never ``javascript:``, whatever a list says)."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def went_back_page(nonce: str) -> str:
    return _back_template().fill({"nonce": nonce})


@lru_cache(maxsize=1)
def _back_template() -> _Template:
    return _format("back.html", stylesheet=STYLESHEET)


def banner(verdict: Verdict, settings: Any = None) -> str:
    """The notice banner, placed and styled as ``staff.json``'s ``banner`` says (the
    extension draws the same): a bar fixed to the bottom of the window, with the policy's
    words, a sign-up's permission form link, and a Dismiss button. It is an open ``<dialog>``
    so the button closes it with no script (``form method=dialog``), whatever scripts the
    page's CSP forbids; its styles are inline, so it needs nothing from the page."""
    look = TEXTS["banner"]
    link = permission_link(verdict, settings or {})
    ask = (
        f' <a href="{_e(link)}" style="{look["link_style"]}">{_e(TEXTS["banner_permission"])}</a>'
        if link
        else ""
    )
    return (
        f'<dialog open role="status" aria-label="{_e(TEXTS["banner_prefix"])}" '
        f'data-staffguard="notice" style="{look["host_style"]}">'
        f'<div style="{look["box_style"]}">'
        f'<strong style="{look["prefix_style"]}">{_e(TEXTS["banner_prefix"])}</strong> '
        f'<span style="{look["text_style"]}">{_e(verdict.reason)}</span>{ask}'
        f'<small style="{look["ref_style"]}">{_e(verdict.policy_ref)}</small>'
        f'<form method="dialog" style="all:initial"><button type="submit" '
        f'aria-label="{_e(TEXTS["banner_dismiss"])}" title="{_e(TEXTS["banner_dismiss"])}" '
        f'style="{look["dismiss_style"]}">{_e(look["dismiss_symbol"])}</button></form>'
        "</div></dialog>"
    )


def platform_list(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``: platform names as a sentence says them."""
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + TEXTS["student_required"]["and"] + names[-1]


def lms_notice(finding: Finding) -> str:
    """The notice for an LMS assignment or announcement that links to social media platforms:
    the platforms' names and the policy's sentence, never the links or the text
    (tests/vectors/lms/lms.json holds what the extension's ``lmsNotice`` says too)."""
    words = TEXTS["student_required"]
    return str(words["notice"]).format(
        kind=words["kinds"].get(finding.kind, finding.kind),
        platforms=platform_list([name for _, name, _ in finding.platforms]),
        sentence=finding.sentence,
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


def write_extension_copies(root: Path) -> list[Path]:
    """Write the extension's copies of the shared words and stylesheet (it cannot read files
    outside its own directory); tests/proxy/test_staff_pages.py checks they are current."""
    shared = root / "extension" / "staff_pages"
    shared.mkdir(parents=True, exist_ok=True)
    texts = shared / "staff_texts.js"
    texts.write_text(extension_texts_module(), encoding="utf-8")
    css = shared / "staff.css"
    css.write_text(STYLESHEET, encoding="utf-8")
    return [texts, css]


def extension_texts_module() -> str:
    body = (_TEMPLATES / "staff.json").read_text(encoding="utf-8").rstrip()
    note = "// Written by `python -m proxy_addons.pages` from proxy_addons/templates/staff.json."
    return f"{note}\nexport default {body};\n"


if __name__ == "__main__":
    for written in write_extension_copies(Path(__file__).resolve().parent.parent):
        print(written)
