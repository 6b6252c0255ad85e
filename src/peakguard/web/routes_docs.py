"""The API docs page and the site icon, served by this server alone.

FastAPI's default ``/docs`` loads Swagger UI from a CDN and is blank without the internet (a
warehouse LAN, a demo on a laptop offline). Here its script and style come from the
``swagger-ui-bundle-v2`` package (Swagger UI 5, which reads FastAPI's OpenAPI 3.1), mounted under ``/docs/assets``; the page is FastAPI's own
``get_swagger_ui_html`` pointed at them. ``/favicon.ico`` answers the request every browser
makes on every page (it used to be a 404 in every log)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = Path(__file__).with_name("static")
ASSETS = "/docs/assets"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="PeakGuard API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url="/favicon.ico",
    )


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon")


router.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")
