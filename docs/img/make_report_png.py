"""Write docs/img/board-report.png: the board report of the demo district, as Chromium prints it.

    .venv/bin/python docs/img/make_report_png.py

Runs the same Playwright journey as tests/admin/test_iibgc_browser.py on a throwaway SQLite
database filled by ``staffguard demo``'s ``fill`` (shipped lists), in Debian's Chromium.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "admin")]

from iibgc_journey import board_report, sign_in  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from realparts import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from admin_web import demo  # noqa: E402
from admin_web.auth import add_user  # noqa: E402
from admin_web.db import get_db  # noqa: E402

PASSWORD = "demo password 13"


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="staffguard-demo-"))
    os.environ["STAFFGUARD_INSTANCE"] = str(folder)
    from admin_web.app import create_app

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}", "SESSION_COOKIE_SECURE": False}
    )
    today = dt.date.today()
    with app.app_context():
        demo.fill(get_db(), today)
        add_user("superintendent@usd999.org", "approver", PASSWORD)
        get_db().commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_port}"
    out = ROOT / "docs" / "img" / "board-report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        sign_in(page, site, "superintendent@usd999.org", PASSWORD)
        start = (today - dt.timedelta(days=44)).isoformat()  # 45 days, beside the 45 before
        board_report(page, site, start, today.isoformat(), out)
        browser.close()
    server.shutdown()
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
