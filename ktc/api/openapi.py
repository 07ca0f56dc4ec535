"""GET /api/v1/openapi.json: the OpenAPI 3.1 description, gathered from every module of the package.

Each module in `ktc.api` may declare `PATHS` (path → {method: operation}) and `SCHEMAS`
(name → JSON Schema); modules added by other features join the document without any change here.
Paths may be given in full (`/api/v1/…`) or relative to the API (`/sessions/{id}/…`).
"""
import pkgutil
import re
import sys
from importlib import import_module

from flask import current_app

import ktc.api as api_package
from ktc.api import bp
from ktc.api.schema import STR, obj
from ktc.api.util import ok

PREFIX = "/api/v1"
VERSION = "1.0.0"


def _api_modules():
    for info in pkgutil.iter_modules(api_package.__path__):
        name = f"{api_package.__name__}.{info.name}"
        yield sys.modules.get(name) or import_module(name)


def _full_path(path):
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)  # tolerate Flask-style rules
    return path if path.startswith(PREFIX + "/") or path == PREFIX else PREFIX + path


UNAVAILABLE = {
    "description": "The database is unavailable (error code `database_unavailable`); try again later",
    "headers": {"Retry-After": {"description": "Seconds to wait before trying again",
                                "schema": {"type": "integer"}}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def build_document():
    """The whole document; a fresh dict on each call."""
    paths, schemas = {}, {}
    for module in _api_modules():
        for path, operations in (getattr(module, "PATHS", None) or {}).items():
            paths.setdefault(_full_path(path), {}).update(operations)
        schemas.update(getattr(module, "SCHEMAS", None) or {})
    for operations in paths.values():
        for operation in operations.values():
            # Every token-protected operation can answer 401; modules need not repeat it.
            if isinstance(operation, dict) and operation.get("security") != []:
                operation.setdefault("responses", {}).setdefault("401", {
                    "description": "No valid API token",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
                # ... and 503 (code database_unavailable, with Retry-After) while the database is down.
                operation["responses"].setdefault("503", UNAVAILABLE)
    paths["/healthz"] = {
        "get": {
            "summary": "Health: the database is reachable",
            "tags": ["Health"],
            "security": [],
            "responses": {
                "200": {"description": "Healthy", "content": {"application/json": {"schema": obj(
                    {"status": STR, "database": STR}, required=("status", "database"))}}},
                "503": {"description": "The database is unavailable (`database` is `unavailable`); "
                        "see Retry-After"},
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "KTC API",
            "version": VERSION,
            "description": (
                "The JSON API of KTC, the clinical skills training centre. Authenticate with a personal "
                "API token (`Authorization: Bearer …`, made with `flask ktc token EMAIL` or on the "
                "account page); a token has exactly the permissions of its owner. JSON in and out; times "
                "in ISO 8601 with an offset (times without an offset are refused). Errors are always "
                '`{"error": {"code": "…", "message": "…"}}` with a 4xx status; `code` is stable.'
            ),
        },
        "servers": [{"url": current_app.config["KTC_BASE_URL"].rstrip("/") or "/"}],
        "security": [{"bearerAuth": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A personal API token of a KTC user"},
            },
            "schemas": dict(sorted(schemas.items())),
        },
    }


@bp.get("/openapi.json")
def openapi():
    return ok(build_document())


PATHS = {
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This OpenAPI description (no token needed)",
            "tags": ["Meta"],
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1 document",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }
    }
}
