"""The API docs work offline and every page has its icon (issue 16): /docs loads Swagger UI
from this server, never a CDN; /favicon.ico is an icon, not a 404."""

from __future__ import annotations


def test_the_docs_page_loads_swagger_ui_from_this_server(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text and "/docs/assets/swagger-ui.css" in page.text
    assert "cdn." not in page.text and "https://" not in page.text.split("<body>")[0]
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text[:20000]
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "PeakGuard"


def test_the_favicon_is_served(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
