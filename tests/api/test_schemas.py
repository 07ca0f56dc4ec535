"""What the schemas refuse, the same way on every endpoint: unknown properties and query parameters,
offsets past ±14:00, and a method the route does not have (405 with Allow)."""
import pytest

from ktc.extensions import db


@pytest.mark.parametrize("method,url,body", [
    ("POST", "/api/v1/skills", {"code": "HLR", "name": "HLR", "colour": "red"}),
    ("POST", "/api/v1/organisations", {"name": "Vetlanda kommun", "side": "municipal", "colour": "red"}),
    ("POST", "/api/v1/centres", {"name": "KTC Värnamo", "opening_hours": [
        {"weekday": 0, "opens": "08:00", "closes": "16:00", "colour": "red"}]}),
])
def test_unknown_properties_are_refused_naming_them(api, world, method, url, body):
    r = api.as_(world.tokens["admin"])(method, url, json=body)
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "invalid_field"
    assert r.json["error"]["field"].endswith("colour")
    assert "colour" in r.json["error"]["message"]


def test_an_unknown_query_parameter_is_refused(api, world):
    r = api.as_(world.tokens["admin"]).get("/api/v1/skills?activ=true")
    assert r.status_code == 422 and r.json["error"]["field"] == "activ"


@pytest.mark.parametrize("offset", ["+14:30", "-15:00", "+23:59"])
def test_an_offset_past_14_hours_is_refused(api, world, offset):
    r = api.as_(world.tokens["admin"]).patch(f"/api/v1/sessions/{world.other_session.id}",
                                             json={"start": f"2030-03-10T09:00:00{offset}"})
    assert r.status_code == 422 and r.json["error"]["field"] == "start"


def test_an_offset_of_14_hours_is_a_time(api, world):
    r = api.as_(world.tokens["admin"]).get("/api/v1/sessions?from=2030-03-10T09:00:00%2B14:00")
    assert r.status_code == 200


def test_messages_are_translated(api, world):
    r = api.as_(world.tokens["admin"]).post("/api/v1/skills", json={"code": "HLR", "name": "HLR", "active": "ja"},
                                            headers={"Accept-Language": "sv"})
    assert r.status_code == 422 and r.json["error"]["field"] == "active"
    assert r.json["error"]["message"] == "active måste vara true eller false."


def test_a_method_the_route_lacks_is_405_with_allow(api, world):
    r = api.as_(world.tokens["admin"]).delete("/api/v1/skills")
    assert r.status_code == 405 and r.json["error"]["code"] == "method_not_allowed"
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_whole_number_written_with_a_fraction_is_an_id_and_a_real_fraction_is_not(api, world, make):
    """JSON Schema counts 142.0 as an integer (Schemathesis' positive data found it refused)."""
    session = make.session(world.station, start=make.future(22), capacity=4)
    db.session.commit()
    person = world.staff_a[1]
    as_manager = api.as_(world.tokens["manager_a"])
    r = as_manager.post(f"/api/v1/sessions/{session.id}/bookings", json={"participant_ids": [person.id + 0.5]})
    assert r.status_code == 422 and r.json["error"]["field"] == "participant_ids"
    r = as_manager.post(f"/api/v1/sessions/{session.id}/bookings", json={"participant_ids": [float(person.id)]})
    assert r.status_code == 201, r.json
    assert r.json["results"][0]["participant_id"] == person.id
