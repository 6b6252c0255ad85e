"""/docs in Chromium with every request off this machine blocked (issue 16): Swagger UI still
draws the API, because its files come from the server itself."""

from __future__ import annotations

from urllib.parse import urlparse


def test_the_api_docs_draw_with_no_internet(browser, server):
    page = browser.new_page()
    outside: list[str] = []

    def only_local(route, request):  # type: ignore[no-untyped-def]
        if urlparse(request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(server.url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "PeakGuard" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 10 and outside == []
    page.close()
