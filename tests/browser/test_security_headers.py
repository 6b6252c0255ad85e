"""The pages under their Content-Security-Policy in a real Chromium (issue 13 item 13): every
page an admin can open loads, runs HTMX (the live war-room list polls) and reports no CSP
violation; the admin page's user forms work; and a same-origin script may write with the session
cookie (item 8)."""

from __future__ import annotations

from tests.browser.conftest import Server
from tests.browser.test_war_room import log_in

PAGES = [
    "/war-room",
    "/readiness",
    "/admin/users",
    "/admin/plan",
    "/admin/roster",
    "/scan",
    "/account",
    "/docs",
]


def test_pages_run_under_the_csp_without_a_violation(browser, server: Server):
    server.user("csp-admin", "admin")
    page = log_in(browser, server, "csp-admin")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    for path in PAGES:
        r = page.goto(server.url + path)
        assert r is not None and r.status == 200, path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    page.goto(server.url + "/war-room")
    page.wait_for_function("() => window.htmx !== undefined && document.querySelector('#live') !== null")
    assert violations == []


def test_admin_deactivates_a_user_in_the_browser(browser, server: Server):
    server.user("csp-boss", "admin")
    server.user("csp-temp", "member")
    page = log_in(browser, server, "csp-boss")
    page.goto(server.url + "/admin/users")
    page.locator('tr[data-user="csp-temp"] button[name=active][value="0"]').click()
    page.wait_for_load_state()
    assert page.locator('tr[data-user="csp-temp"]').get_attribute("class") == "inactive"
    other = log_in(browser, server, "csp-temp")
    assert "/login" in other.url


def test_a_same_origin_fetch_with_the_session_passes_the_same_site_rule(browser, server: Server):
    """Chromium marks its own pages' requests ``Sec-Fetch-Site: same-origin``: a script of
    ours may write with the session cookie without the CSRF header (a cross-site one is refused,
    tests/test_request_gate.py)."""
    server.user("csp-lead", "leader")
    page = log_in(browser, server, "csp-lead")
    status = page.evaluate(
        """async (url) => (await fetch(url + '/api/v1/incidents', {method: 'POST', credentials: 'include',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({kind: 'lost', area: 'CSP-1', count: 1})})).status""",
        server.url,
    )
    assert status == 201
