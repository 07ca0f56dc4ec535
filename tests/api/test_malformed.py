"""Bad input never gives a 500: every POST/PATCH endpoint under /api/v1, whoever wrote it, gets garbage."""
import re

from tests.api.test_openapi import api_routes

# The modules of this feature answer a body that is not a JSON object with exactly 400.
OWN_PREFIXES = ("/api/v1/organisations", "/api/v1/units", "/api/v1/participants", "/api/v1/skills",
                "/api/v1/centres", "/api/v1/stations", "/api/v1/sessions", "/api/v1/bookings")
OTHER_MODULE_PATHS = ("/attendance",)

NOT_JSON = [b"not json", b"{\"a\": ", b"\xff\xfe\x00", b"", b"{'single': 'quotes'}"]
NOT_OBJECTS = ["[]", "null", "42", "\"text\"", "[{\"participant_ids\": [1]}]", "true"]
WEIRD_VALUES = [None, True, False, -1, 0, 2**31, 2**63, 1.5, "", "x" * 6000, "2026-03-10T09:00:00",
                "2026-02-30T09:00:00+01:00", "../../etc/passwd", [], [None], ["1"], [2**40], {}, {"$ne": 1}]
FIELDS = ["name", "side", "org_number", "organisation_id", "unit_id", "profession_id", "email", "active",
          "code", "category", "description", "refresh_months", "address", "timezone", "opening_hours",
          "closed_days", "centre_id", "skill_ids", "default_capacity", "default_duration_minutes",
          "changeover_minutes", "equipment_notes", "station_id", "start", "end", "capacity", "min_per_side",
          "release_before_hours", "instructor_ids", "title", "notes", "participant_ids", "all_or_nothing",
          "reason", "entries", "attended", "outcomes", "participant_id"]


def write_routes(app):
    return sorted({(p, m) for p, m in api_routes(app) if m in ("post", "patch")})


def concrete(path, world):
    ids = {"session_id": world.other_session.id, "participant_id": world.staff_a[1].id,
           "booking_id": world.booking_a.id, "id": world.other_session.id}
    return re.sub(r"\{([^}]+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


def check(response, path):
    assert response.status_code < 500, (path, response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        error = response.json["error"]
        assert error["code"] and error["message"]


def is_own(path):
    return path.startswith(OWN_PREFIXES) and not path.endswith(OTHER_MODULE_PATHS)


def test_there_are_write_endpoints_to_test(app):
    assert len(write_routes(app)) >= 9


def test_bodies_that_are_not_json_objects(app, api, world):
    admin = api.as_(world.tokens["admin"])
    for path, method in write_routes(app):
        url = concrete(path, world)
        for raw in NOT_JSON:
            r = admin(method.upper(), url, data=raw)
            check(r, path)
            assert r.status_code == 400, (path, raw, r.status_code)
        for text in NOT_OBJECTS:
            r = admin(method.upper(), url, data=text)
            check(r, path)
            if is_own(path):
                assert r.status_code == 400, (path, text, r.status_code)
        r = admin(method.upper(), url, data=b"{}", headers={"Content-Type": "text/plain"})
        check(r, path)


def documented_fields(doc, path, method):
    """The request fields the OpenAPI document gives for an endpoint (all known names if none)."""
    op = doc["paths"].get(path, {}).get(method, {})
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return sorted(schema.get("properties", {})) or FIELDS


def test_every_field_with_wrong_values(app, api, world):
    admin = api.as_(world.tokens["admin"])
    doc = api.get("/api/v1/openapi.json").json
    for path, method in write_routes(app):
        url = concrete(path, world)
        fields = documented_fields(doc, path, method)
        # Every field at once with each odd value, then each field alone with a rotating few.
        bodies = [{field: value for field in fields} for value in WEIRD_VALUES]
        bodies += [{field: WEIRD_VALUES[(i * 5 + k) % len(WEIRD_VALUES)]}
                   for i, field in enumerate(fields) for k in range(4)]
        for body in bodies:
            r = admin(method.upper(), url, json=body)
            check(r, path)
            if is_own(path) and r.status_code == 422:
                assert r.json["error"].get("field"), (path, body, r.json)


def test_wrong_types_are_422_naming_the_field(api, world):
    admin = api.as_(world.tokens["admin"])
    session_url = f"/api/v1/sessions/{world.other_session.id}"
    cases = [
        ("POST", f"{session_url}/bookings", {"participant_ids": "1,2"}, "participant_ids"),
        ("POST", f"{session_url}/bookings", {"participant_ids": []}, "participant_ids"),
        ("POST", f"{session_url}/bookings", {"participant_ids": [world.staff_a[1].id], "all_or_nothing": "no"},
         "all_or_nothing"),
        ("PATCH", session_url, {"capacity": "12"}, "capacity"),
        ("PATCH", session_url, {"start": "tomorrow"}, "start"),
        ("PATCH", session_url, {"end": "2026-03-10T11:00:00"}, "end"),
        ("PATCH", session_url, {"instructor_ids": [999999]}, "instructor_ids"),
        ("POST", "/api/v1/sessions", {"start": "2026-03-10T09:00:00+01:00"}, "station_id"),
        ("POST", "/api/v1/sessions", {"station_id": world.station.id, "end": "2026-03-10T09:00:00+01:00"}, "start"),
    ]
    for method, url, body, field in cases:
        r = admin(method, url, json=body)
        assert r.status_code == 422, (url, body, r.json)
        assert r.json["error"]["field"] == field, (url, body, r.json)
        assert field in r.json["error"]["message"]


def test_ids_past_the_column_range_in_the_url_are_404(app, api, world):
    """2**31 is past PostgreSQL's integer column, 2**63 past SQLite's: no such object, not a server error."""
    routes = sorted(api_routes(app))
    with_ids = [(p, m) for p, m in routes if "{" in p]
    assert len(with_ids) > 15
    for path, method in with_ids:
        for big in (2**31, 2**63):
            url = re.sub(r"\{[^}]+\}", str(big), path)
            r = api.as_(world.tokens["admin"])(method.upper(), url, json={})
            assert r.status_code == 404, (method, url, r.status_code, r.get_data(as_text=True)[:200])
            assert r.json["error"]["code"] == "not_found"


def test_years_1_and_9999_are_refused_not_a_server_error(api, world):
    """Far dates overflow once moved to another time zone or a day later: 422 naming the field."""
    admin = api.as_(world.tokens["admin"])
    for query in ("from=0001-01-01", "to=9999-12-31"):
        r = admin.get(f"/api/v1/network/summary?{query}")
        assert r.status_code == 422, (query, r.status_code)
        assert r.json["error"]["field"] == query.split("=")[0]
    for start in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-01:00"):
        r = admin.patch(f"/api/v1/sessions/{world.other_session.id}", json={"start": start})
        assert r.status_code == 422, (start, r.status_code)
        assert r.json["error"]["field"] == "start"


def test_a_nul_byte_in_a_text_is_refused(api, world):
    """PostgreSQL cannot store NUL in a text column: 422 naming the field on both databases, not a 500."""
    r = api.as_(world.tokens["admin"]).patch(f"/api/v1/sessions/{world.other_session.id}", json={"title": "a\x00b"})
    assert r.status_code == 422, r.status_code
    assert r.json["error"]["field"] == "title"


def test_a_session_window_to_the_last_day_of_9999_is_refused(api, world):
    r = api.as_(world.tokens["admin"]).get("/api/v1/sessions?to=9999-12-31")
    assert r.status_code == 422 and r.json["error"]["field"] == "to"
