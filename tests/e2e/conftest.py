"""Real-browser fixtures: the app served on a loopback port, Debian's Chromium driven by Playwright,
axe-core checks and screenshots.

The server runs the test's own app (and database) in a background thread, so a test sets up data
with the factories, commits, and then acts only through the browser. Screenshots go to
test-artifacts/e2e/<database>/; with KTC_README_SCREENSHOTS=1 the main pages are also written to
docs/screenshots/ for the README.
"""
import fcntl
import logging
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ktc.extensions import db

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "tests" / "js"
AXE_JS = JS_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
README_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("KTC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
# Served from the app's own origin (intercepted by the browser), so the app's CSP stays in force.
AXE_URL_PATH = "/__e2e__/axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PASSWORD = "correct horse battery staple"


def ensure_axe():
    """Install tests/js (locked: xdist workers may race) if axe-core is not there yet."""
    with open(JS_DIR / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not AXE_JS.exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=JS_DIR, check=True,
                           timeout=300)


class LiveServer:
    def __init__(self, app):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request lines (they hold feed tokens)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    ensure_axe()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Journey:
    """Browser contexts (one per person), screenshots and accessibility checks for one test."""

    def __init__(self, browser, server, name, dialect):
        self.browser = browser
        self.base = server.url
        self.shots = ARTIFACTS / dialect / name
        self.shots.mkdir(parents=True, exist_ok=True)
        self.contexts = []
        self.problems = []
        self.checked = []

    def person(self, email=None, password=PASSWORD, phone=False):
        """A new browser (own cookies), logged in through the login form when an e-mail is given."""
        context = self.browser.new_context(base_url=self.base, locale="sv-SE", timezone_id="Europe/Stockholm",
                                           accept_downloads=True, **(PHONE if phone else DESKTOP))
        context.set_default_timeout(15000)
        context.route(f"{self.base}{AXE_URL_PATH}",
                      lambda route: route.fulfill(path=str(AXE_JS), content_type="application/javascript"))
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: {exc}"))
        if email:
            page.goto("/login")
            page.fill("#email", email)
            page.fill("#password", password)
            page.click("main button[type=submit]")
            page.wait_for_load_state()
            assert "/login" not in page.url, f"login failed for {email}"
        return page

    def _console(self, page, msg):
        # A CSP violation or a script error in the page is a bug even if the test goes on.
        if msg.type == "error" and "favicon" not in msg.text and not self._form_refused(page, msg):
            self.problems.append(f"{page.url}: {msg.text}")

    @staticmethod
    def _form_refused(page, msg):
        # A form page shown again with its errors answers 422 on purpose; the browser logs that status
        # for the document itself. Any other resource failing is still a problem.
        return "status of 422" in msg.text and msg.location.get("url") == page.url

    def check(self, page, name, readme=None):
        """Screenshot the page and run axe-core on it: no serious or critical violation."""
        page.wait_for_load_state()
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)
        if readme and os.environ.get("KTC_README_SCREENSHOTS"):
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(README_SHOTS / f"{readme}.png"))  # the first screen, as people see it
        page.add_script_tag(url=self.base + AXE_URL_PATH)
        violations = page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ['violations']});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
                }));
            }"""
        )
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe on {name} ({page.url}):\n" + "\n".join(
            f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in bad)
        self.checked.append(name)

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def journey(request, browser, live_server):
    dialect = db.engine.dialect.name
    name = re.sub(r"[^a-z0-9_]+", "-", request.node.name.lower())
    trip = Journey(browser, live_server, name, dialect)
    yield trip
    trip.close()
    assert not trip.problems, "errors in the browser console:\n" + "\n".join(trip.problems)


def tab_to(page, predicate_js, limit=80):
    """Press Tab (keyboard only) until the focused element matches; assert focus is visible on it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            assert_focus_visible(page)
            return
    raise AssertionError(f"Tab never reached an element matching {predicate_js}")


def assert_focus_visible(page):
    """The focused element shows the focus ring (outline or box shadow), as :focus-visible gives it."""
    style = page.evaluate(
        """() => {
            const el = document.activeElement;
            const s = getComputedStyle(el);
            return {matches: el.matches(':focus-visible'), outline: s.outlineStyle, width: s.outlineWidth,
                    shadow: s.boxShadow, tag: el.tagName};
        }"""
    )
    assert style["matches"], style
    assert (style["outline"] != "none" and style["width"] != "0px") or style["shadow"] != "none", style
