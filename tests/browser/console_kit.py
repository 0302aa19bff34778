"""What the console's browser tests share: headless Chromium from Debian's packages
(`/usr/bin/chromium`), driven by Playwright for Python (no browser download), one browser per test
module (Playwright's sync API runs one at a time). A test module takes the fixtures with
`from console_kit import browser_fixture, console_fixture  # noqa: F401`.

`Console` is one browser context (its own tabs and storage) on one server's console. Each page a
test checks with `check_clean()` must: label every control, draw nothing `hidden`, load nothing
from elsewhere, log no script error (CSP violations included), and pass axe-core with no
violation (when axe-core is installed; test_console_speed_a11y.py requires it). Screenshots go
to test-artifacts/console/.

Without Chromium or Playwright these tests are skipped with the reason, unless
SWITCHBOARD_REQUIRE_BROWSER=1, which turns the skip into a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import axe_core
import pytest
import yaml
from conftest import REPO, Server, run_cli

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Nothing but the server under test is reachable: every other address goes to a proxy at a
# port where nothing listens (the request fails at once, on this machine), 127.0.0.1 directly.
# `Console` notes each such request (`external`). Intercepting every request instead
# (`context.route`) turns Chromium's HTTP cache off and sends each request through this
# process: every page load fetched all 25 of the console's files again, 0.51 s a load against
# 0.35 s (docs/architecture.md, "Tests").
NOWHERE_BUT_LOOPBACK = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"}
REQUIRE_BROWSER = os.environ.get("SWITCHBOARD_REQUIRE_BROWSER") == "1"
ARTIFACTS = REPO / "test-artifacts" / "console"
RENDER_BUDGET_MS = 200.0
EXPECTED_4XX = "Failed to load resource: the server responded with a status of 4"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    problem = _browser_problem()
    if problem is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"SWITCHBOARD_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, proxy=NOWHERE_BUT_LOOPBACK
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Console:
    """One browser context (its tabs share the origin's storage, as a user's browser does) on a
    server's console, recording what it must never do: load anything from another origin, or
    log a JavaScript error (CSP violations included)."""

    def __init__(
        self,
        browser: Any,
        server: Server,
        store_kind: str,
        name: str,
        viewport: dict[str, int] | None = None,
    ) -> None:
        self.server = server
        self.context = browser.new_context(viewport=viewport or DESKTOP)
        self.context.grant_permissions(["clipboard-read", "clipboard-write"])
        self.external: list[str] = []
        self.errors: list[str] = []
        self.shots: list[Path] = []
        self.prefix = f"{store_kind}-{name}"
        self.axe = axe_core.source()
        self.context.on("request", self._seen)
        self.page = self.new_tab()

    def new_tab(self) -> Any:
        page = self.context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        return page

    def _seen(self, request: Any) -> None:
        """Note a request for anything but the server's own files and API (it fails: the
        browser reaches nothing else, `NOWHERE_BUT_LOOPBACK`)."""
        url: str = request.url
        if not url.startswith((self.server.url + "/", "data:", "blob:")):
            self.external.append(url)

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            text = msg.text
            # The API's 4xx answers (validation errors, a refused sign-in) are expected: Chromium
            # logs each one. Anything else (a script error, a CSP violation) is not.
            if not text.startswith(EXPECTED_4XX):
                self.errors.append(text)

    def close(self) -> None:
        self.context.close()

    # Navigation

    def goto(self, path: str, page: Any = None) -> dict[str, Any]:
        page = page or self.page
        page.goto(f"{self.server.url}/console{path}")
        return self.ready(path, page)

    def in_app(self, path: str) -> dict[str, Any]:
        """Draw `path` as the router does after a click (no page load); its timing. The page's
        elements are those of a load from its address, for a fraction of the time (no files,
        no boot, axe-core still injected)."""
        self.page.evaluate(
            """(url) => { history.pushState(null, "", url);
                          dispatchEvent(new PopStateEvent("popstate")); }""",
            f"/console{path}",
        )
        return self.ready(path)

    def ready(self, path: str, page: Any = None) -> dict[str, Any]:
        """Wait until the page for `path` is drawn; its timing: `window.switchboardTiming`, with
        `measureMs`, the `sb:render` performance measure."""
        page = page or self.page
        route = path.split("?")[0].rstrip("/") or "/"
        page.wait_for_selector(f'main[data-ready="{route}"]', state="attached")
        timing: dict[str, Any] = page.evaluate(
            """() => ({
              ...window.switchboardTiming,
              measureMs: performance.getEntriesByName("sb:render", "measure").at(-1)?.duration,
            })"""
        )
        return timing

    def sign_in(self, username: str, password: str, account_sid: str = "") -> None:
        self.page.goto(f"{self.server.url}/console/")
        self.submit_sign_in(username, password, account_sid)
        self.ready(f"/accounts/{account_sid or username}")

    def submit_sign_in(self, username: str, password: str, account_sid: str = "") -> None:
        """Fill in and send the sign-in form the page shows."""
        self.page.get_by_label("Account SID or API key SID").fill(username)
        self.page.get_by_label("Auth token or API key secret").fill(password)
        if account_sid:
            self.page.get_by_label("Account SID (only with an API key)").fill(account_sid)
        self.page.get_by_role("button", name="Sign in").click()

    def shot(self, name: str, full_page: bool = True, page: Any = None) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.prefix}-{len(self.shots) + 1:02d}-{name}.png"
        (page or self.page).screenshot(path=str(path), full_page=full_page)
        assert path.stat().st_size > 1000
        self.shots.append(path)
        return path

    def nav(self, name: str) -> None:
        """Follow a link of the main navigation."""
        main_nav = self.page.get_by_role("navigation", name="Main")
        main_nav.get_by_role("link", name=name, exact=True).click()

    # Checks

    def unlabelled(self) -> list[str]:
        """Form controls without a label, and buttons without a name, on the current page."""
        found: list[str] = self.page.evaluate(
            """() => {
              const bad = [];
              for (const el of document.querySelectorAll("input, select, textarea")) {
                if (el.type === "hidden") continue;
                const named = (el.labels && el.labels.length && [...el.labels].some(
                  (l) => l.textContent.trim())) || el.getAttribute("aria-label")
                  || el.getAttribute("aria-labelledby");
                if (!named) bad.push(el.outerHTML.slice(0, 120));
              }
              for (const el of document.querySelectorAll("button, a[href]")) {
                if (!el.textContent.trim() && !el.getAttribute("aria-label"))
                  bad.push(el.outerHTML.slice(0, 120));
              }
              return bad;
            }"""
        )
        return found

    def shown_though_hidden(self) -> list[str]:
        """Elements with the `hidden` attribute that a style still draws (issue 12: a
        `display` rule beat `hidden`, and the one-page pager showed)."""
        found: list[str] = self.page.evaluate(
            """() => [...document.querySelectorAll("[hidden]")]
                .filter((el) => getComputedStyle(el).display !== "none")
                .map((el) => el.outerHTML.slice(0, 120))"""
        )
        return found

    def violations(self, page: Any = None) -> list[str]:
        """axe-core's violations on the page as it is now ([] when axe-core is not installed:
        test_console_speed_a11y.py requires it)."""
        if self.axe is None:
            return []
        return axe_core.violations(page or self.page, self.axe)

    def check_clean(self, axe: bool = True) -> None:
        """The page as it is now is clean (the module's docstring); `axe=False` leaves axe-core
        out, for a test that walks pages test_every_page_passes_axe already checks."""
        assert self.unlabelled() == [], self.page.url
        assert self.shown_though_hidden() == [], self.page.url
        found = self.violations() if axe else []
        assert found == [], (self.page.url, found)
        assert self.external == []
        assert self.errors == [], self.errors


def make_console(
    browser: Any, server: Server, store_kind: str, request: Any, viewport: dict[str, int]
) -> Iterator[Console]:
    c = Console(
        browser, server, store_kind, request.node.originalname.removeprefix("test_"), viewport
    )
    try:
        yield c
    finally:
        try:
            c.shot("last")  # whatever the page showed when the test ended, passed or failed
        finally:
            c.close()


@pytest.fixture(name="console")
def console_fixture(
    browser: Any, server: Server, store_kind: str, request: Any
) -> Iterator[Console]:
    yield from make_console(browser, server, store_kind, request, DESKTOP)


@pytest.fixture(name="phone")
def phone_fixture(browser: Any, server: Server, store_kind: str, request: Any) -> Iterator[Console]:
    """The console on a 390 px wide phone screen."""
    yield from make_console(browser, server, store_kind, request, PHONE)


def new_number() -> str:
    return f"+1500{secrets.randbelow(10**7):07d}"


def seed_big_account(server: Server, tmp_path: Path) -> tuple[str, str, str]:
    """A top-level account at the 1000-application limit, with one number, seeded with the CLI;
    its SID, auth token and phone number."""
    ac, token, phone = "AC" + secrets.token_hex(16), secrets.token_hex(16), new_number()
    apps = [
        {
            "friendly_name": f"Application {i:04d}",
            "voice_url": f"http://127.0.0.1:1/voice/{i}",  # refused at once: no waiting
            "sms_url": f"https://sms.example.com/{i}",
            "status_callback": f"https://status.example.com/{i}",
        }
        for i in range(1000)
    ]
    fixture = {
        "accounts": [
            {
                "sid": ac,
                "auth_token": token,
                "friendly_name": "Big account",
                "applications": apps,
                "incoming_phone_numbers": [{"phone_number": phone}],
            }
        ]
    }
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(fixture))
    out = run_cli("seed", str(path), database_url=server.database_url)
    assert "applications: 1000 created" in out.stdout
    return ac, token, phone
