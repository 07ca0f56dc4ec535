"""The OpenAPI description: valid 3.1, open without a token, and complete."""
import re

from openapi_spec_validator import validate

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def api_routes(app):
    """(path template, method) for every route registered under /api/v1, parameters named {…}."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods & HTTP_METHODS:
                yield path, method.lower()


def shape(path):
    """A path with its parameter names blanked, so /x/{id} and /x/{session_id} compare equal."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_document_is_valid_openapi_31_and_needs_no_token(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_api_route_is_described(app, client):
    doc = client.get("/api/v1/openapi.json").json
    described = {(shape(path), method) for path, ops in doc["paths"].items() for method in ops}
    missing = sorted((p, m) for p, m in api_routes(app) if (shape(p), m) not in described)
    assert not missing, f"routes missing from openapi.json: {missing}"
    assert len(list(api_routes(app))) >= 22


def test_document_has_bearer_security_and_the_error_schema(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A personal API token of a KTC user"}
    assert doc["security"] == [{"bearerAuth": []}]
    assert doc["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
    error = doc["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    booking = doc["paths"]["/api/v1/sessions/{session_id}/bookings"]["post"]
    assert booking["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TeamBookingInput"}
    assert booking["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    session = doc["components"]["schemas"]["Session"]["properties"]
    assert set(session["seats"]["properties"]) == {"municipal", "regional", "free", "waitlisted"}
    assert set(session["policy"]["properties"]) == {"min_per_side", "release_before_hours"}


def test_every_write_documents_its_body_and_errors(client):
    doc = client.get("/api/v1/openapi.json").json
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method in ("post", "patch"):
                assert "requestBody" in op, (path, method)
            if path != "/api/v1/openapi.json" and path.startswith("/api/v1"):
                assert "401" in op["responses"], (path, method)
