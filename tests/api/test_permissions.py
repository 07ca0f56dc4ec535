"""Authorization matrix: every API endpoint × every kind of caller, with the status each must get."""
from datetime import timedelta

import pytest

from ktc.extensions import db

ROLES = ("admin", "manager_a", "manager_b", "instructor", "participant", "network", "none", "revoked")


def everyone(status):
    return {role: status for role in ROLES[:6]}


def only(allowed, ok_status, denied=403, **exceptions):
    table = {role: (ok_status if role in allowed else denied) for role in ROLES[:6]}
    table.update(exceptions)
    return table


# name → (method, url template, body template, expected status per role)
# Templates are filled from the `world` fixture; {role} makes names unique per caller.
MATRIX = {
    "list organisations": ("GET", "/api/v1/organisations", None, everyone(200)),
    "create organisation": ("POST", "/api/v1/organisations", {"name": "Org {role}", "side": "municipal"},
                            only({"admin"}, 201)),
    "list units": ("GET", "/api/v1/units", None, everyone(200)),
    "create unit": ("POST", "/api/v1/units", {"organisation_id": "{kommun}", "name": "Enhet {role}"},
                    only({"admin"}, 201)),
    "list skills": ("GET", "/api/v1/skills", None, everyone(200)),
    "create skill": ("POST", "/api/v1/skills", {"code": "S-{role}", "name": "Skill"}, only({"admin"}, 201)),
    "list centres": ("GET", "/api/v1/centres", None, everyone(200)),
    "create centre": ("POST", "/api/v1/centres", {"name": "Centre {role}"}, only({"admin"}, 201)),
    "list stations": ("GET", "/api/v1/stations", None, everyone(200)),
    "create station": ("POST", "/api/v1/stations", {"centre_id": "{centre}", "name": "St {role}"},
                       only({"admin"}, 201)),
    "list participants": ("GET", "/api/v1/participants", None,
                          only({"admin", "manager_a", "manager_b", "participant"}, 200)),
    "create participant in unit A": ("POST", "/api/v1/participants", {"name": "Ny {role}", "unit_id": "{unit_a}"},
                                     only({"admin", "manager_a"}, 201)),
    "create participant in unit B": ("POST", "/api/v1/participants", {"name": "Ny {role}", "unit_id": "{unit_b}"},
                                     only({"admin", "manager_b"}, 201)),
    "get unit A participant": ("GET", "/api/v1/participants/{staff_a1}", None,
                               only({"admin", "manager_a"}, 200, denied=404)),
    "get unit B participant": ("GET", "/api/v1/participants/{staff_b0}", None,
                               only({"admin", "manager_b"}, 200, denied=404)),
    "get own participant record": ("GET", "/api/v1/participants/{staff_a0}", None,
                                   only({"admin", "manager_a", "participant"}, 200, denied=404)),
    "list sessions": ("GET", "/api/v1/sessions", None, everyone(200)),
    "get session": ("GET", "/api/v1/sessions/{session}", None, everyone(200)),
    "create session": ("POST", "/api/v1/sessions",
                       {"station_id": "{station}", "start": "{free_start}", "end": "{free_end}"},
                       only({"admin"}, 201)),
    "edit session": ("PATCH", "/api/v1/sessions/{session}", {"title": "Ny titel"}, only({"admin"}, 200)),
    "cancel session": ("DELETE", "/api/v1/sessions/{other_session}", None, only({"admin"}, 200)),
    "book unit A person": ("POST", "/api/v1/sessions/{other_session}/bookings",
                           {"participant_ids": ["{staff_a1}"]}, only({"admin", "manager_a"}, 201)),
    "book unit B person": ("POST", "/api/v1/sessions/{other_session}/bookings",
                           {"participant_ids": ["{staff_b1}"]}, only({"admin", "manager_b"}, 201)),
    "get unit A booking": ("GET", "/api/v1/bookings/{booking_a}", None,
                           only({"admin", "manager_a", "participant", "instructor"}, 200, denied=404)),
    "get unit B booking": ("GET", "/api/v1/bookings/{booking_b}", None,
                           only({"admin", "manager_b", "instructor"}, 200, denied=404)),
    "cancel unit A booking": ("DELETE", "/api/v1/bookings/{booking_a}", None,
                              only({"admin", "manager_a", "participant"}, 200, denied=404, instructor=403)),
    "cancel unit B booking": ("DELETE", "/api/v1/bookings/{booking_b}", None,
                              only({"admin", "manager_b"}, 200, denied=404, instructor=403)),
    "network members": ("GET", "/api/v1/network/members", None, only({"admin", "network"}, 200)),
    "network meetings": ("GET", "/api/v1/network/meetings", None, only({"admin", "network"}, 200)),
    "network actions": ("GET", "/api/v1/network/actions", None, only({"admin", "network"}, 200)),
    "network users": ("GET", "/api/v1/network/users", None, only({"admin"}, 200)),
    "record network attendance": ("PUT", "/api/v1/network/meetings/{meeting}/attendance",
                                  {"present": ["{network_user}"]}, only({"admin"}, 200)),
    "add network contact": ("POST", "/api/v1/network/members/{member}/contacts", {"email": "{network_email}"},
                            only({"admin"}, 200)),
    "end network membership": ("DELETE", "/api/v1/network/members/{member}", None, only({"admin", "network"}, 200)),
    "set network coordinator": ("PUT", "/api/v1/network/users/{network_user}/coordinator", {"coordinator": True},
                                only({"admin"}, 200)),
    "list learning paths": ("GET", "/api/v1/paths", None, only({"admin", "manager_a", "manager_b"}, 200)),
    "import learning path": ("POST", "/api/v1/paths", {"schema": "ktc.learning-path/1", "name": "Väg {role}",
                                                       "steps": [{"kind": "circle", "title": "Träff", "due_days": 30}]},
                             only({"admin"}, 201)),
    "unit A person's paths": ("GET", "/api/v1/participants/{staff_a0}/paths", None,
                              only({"admin", "manager_a", "participant"}, 200, denied=404)),
    "unit B person's paths": ("GET", "/api/v1/participants/{staff_b0}/paths", None,
                              only({"admin", "manager_b"}, 200, denied=404)),
    "openapi": ("GET", "/api/v1/openapi.json", None, {**everyone(200), "none": 200, "revoked": 200}),
}


def fill(template, values):
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template[1:-1] in values:
            return values[template[1:-1]]
        return template.format(**values)
    if isinstance(template, list):
        return [fill(t, values) for t in template]
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    return template


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(MATRIX))
def test_api_authorization(api, world, name, role):
    method, url, body, expected = MATRIX[name]
    expected = {"none": 401, "revoked": 401, **expected}[role]
    free_start = world.session.start_at + timedelta(days=3)
    values = {
        "role": role, "kommun": world.kommun.id, "centre": world.centre.id, "station": world.station.id,
        "unit_a": world.unit_a.id, "unit_b": world.unit_b.id,
        "staff_a0": world.staff_a[0].id, "staff_a1": world.staff_a[1].id,
        "staff_b0": world.staff_b[0].id, "staff_b1": world.staff_b[1].id,
        "session": world.session.id, "other_session": world.other_session.id,
        "booking_a": world.booking_a.id, "booking_b": world.booking_b.id,
        "meeting": world.meeting.id, "member": world.member.id, "network_user": world.network.id,
        "network_email": world.network.email,
        "free_start": free_start.isoformat(), "free_end": (free_start + timedelta(hours=2)).isoformat(),
    }
    r = api.as_(world.tokens[role])(method, fill(url, values), json=fill(body, values))
    assert r.status_code == expected, (name, role, r.status_code, r.json)
    if r.status_code >= 400:
        assert set(r.json["error"]) >= {"code", "message"}


def test_a_session_cookie_does_not_authenticate_the_api(api, world, login_as):
    """Only tokens count: the API is CSRF-exempt, so a signed-in browser must not be able to use it."""
    login_as(world.admin)
    db.session.commit()
    r = api.post("/api/v1/organisations", json={"name": "Via kaka", "side": "municipal"})
    assert r.status_code == 401
    assert r.json["error"]["code"] == "unauthorized"


def test_a_deactivated_users_token_stops_working(api, world):
    from ktc.accounts.operations import deactivate_user

    deactivate_user(world.admin)
    db.session.commit()
    assert api.as_(world.tokens["admin"]).get("/api/v1/sessions").status_code == 401


def test_the_api_neither_reads_nor_writes_the_cookie_session(api, world, login_as, client):
    """A browser's cookie session is no part of the API: not its sign-in (above), not its language, and
    no answer sets or varies by the cookie (a cache in front may share them)."""
    login_as(world.admin)
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    r = api.as_(world.tokens["admin"]).get("/api/v1/sessions/999999")
    assert r.status_code == 404
    assert r.json["error"]["message"] == "Hittades inte."  # Swedish: nobody asked for another language
    assert "Set-Cookie" not in r.headers
    assert "Cookie" not in r.headers.get("Vary", "")
    r = api.as_(world.tokens["admin"]).get("/api/v1/sessions/999999", headers={"Accept-Language": "en"})
    assert r.json["error"]["message"] == "Not found."
