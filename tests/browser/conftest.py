"""Headless Chromium through Playwright, and an axe scan that fails with a readable report.

Debian's Chromium is used because Playwright's own browsers cannot be downloaded here.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

# Playwright's sync API keeps an event loop running in the test thread, which trips Django's
# async-safety check on every ORM call the tests (and later tests in the same run) make.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-gpu",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}

AXE = Axe()

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


# Every page reports what the Content-Security-Policy refused: Chromium's own console line ("Refused to
# apply inline style because it violates the following Content Security Policy directive...") and, from
# this script (which the policy does not govern), each securitypolicyviolation event.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


class WatchedBrowser:
    """The browser, whose every context (the ``page`` fixture's and the ones tests open for a phone or a
    second person) records the policy violations its pages report. A test with any fails."""

    def __init__(self, browser):
        self._browser = browser
        self.violations: list[str] = []

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._console)
        return context

    def new_page(self, **kwargs):
        return self.new_context(**kwargs).new_page()

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield WatchedBrowser(chromium)
    chromium.close()
    playwright.stop()


@pytest.fixture(autouse=True)
def no_policy_violations(browser):
    """Fails the test when any page it opened broke the Content-Security-Policy (issue 19)."""
    browser.violations.clear()
    yield
    if browser.violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(browser.violations), pytrace=False)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, live_server, user) -> None:
    """Log the user in without the form: a session made by Django's test client, as a cookie."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _describe(violation: dict) -> str:
    lines = [
        f"{violation['id']} ({violation.get('impact')}): {violation['help']}",
        f"  {violation['helpUrl']}",
    ]
    for node in violation["nodes"]:
        lines.append(f"  - target: {node['target']}")
        lines.append(f"    html:   {node['html']}")
        if node.get("failureSummary"):
            lines.extend(f"    {line}" for line in node["failureSummary"].splitlines())
    return "\n".join(lines)


def accessibility_report(page) -> str:
    """Every WCAG 2.x A/AA violation axe finds on the page as it is now, described; "" when none."""
    # axe is put into each page once: a second scan of the same page (at another width) reuses it.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.axe_script)
    violations = page.evaluate("options => axe.run(options).then(results => results.violations)", AXE_OPTIONS)
    if not violations:
        return ""
    report = "\n\n".join(_describe(v) for v in violations)
    return f"{len(violations)} accessibility violation(s) on {page.url}:\n\n{report}"


def assert_accessible(page) -> None:
    """Fail with every WCAG 2.x A/AA violation axe finds on the page as it is now."""
    report = accessibility_report(page)
    if report:
        pytest.fail(report, pytrace=False)
