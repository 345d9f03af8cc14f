"""`/api/v1/docs`: the OpenAPI document (`/api/v1/openapi.json`) in Swagger UI, for people.

Swagger UI's files come from the pinned `flask-swagger-ui` package (requirements.txt) and are
served from this route: nothing is loaded from the internet, so the page works on an office
network without it, and a Content-Security-Policy of `script-src 'self'` holds (Swagger UI is
started by our own small `api-docs.js`, not by an inline script). Only the package's files,
not its blueprint: that one renders its configuration as an inline script.

The viewer is a page, not an API operation: it is not in the OpenAPI document.
"""

from __future__ import annotations

from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from flask import Blueprint, abort, render_template, send_from_directory, url_for

SWAGGER_UI_DIST = Path(str(files("flask_swagger_ui") / "dist"))
OWN_STATIC = Path(__file__).resolve().parent / "static"
# The files the page loads, and where each lives. Anything else under /api/v1/docs/ is a 404.
ASSETS = {
    "swagger-ui.css": SWAGGER_UI_DIST,
    "swagger-ui-bundle.js": SWAGGER_UI_DIST,
    "favicon-32x32.png": SWAGGER_UI_DIST,
    "api-docs.css": OWN_STATIC,
    "api-docs.js": OWN_STATIC,
}
# Asset URLs carry the package version, so a browser may keep them for a week and an upgrade
# is fetched at once.
ASSET_MAX_AGE = 7 * 24 * 3600

bp = Blueprint("api_docs", __name__, template_folder="templates")


def _version() -> str:
    return version("flask-swagger-ui")


@bp.get("/api/v1/docs")
def page():
    return render_template(
        "api_docs/index.html",
        spec_url=url_for("openapi.openapi_json"),
        swagger_ui_version=_version(),
    )


@bp.get("/api/v1/docs/<name>")
def asset(name: str):
    folder = ASSETS.get(name)
    if folder is None:
        abort(404)
    return send_from_directory(folder, name, max_age=ASSET_MAX_AGE)
