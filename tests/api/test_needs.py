"""The needs API: managers state their units' needs; bad input is a 422 naming the field."""
from datetime import date

import pytest
from sqlalchemy import func, select

from ktc.extensions import db
from ktc.planning.models import Need
from ktc.planning.operations import add_months


def _month(months_ahead):
    today = date.today()
    return add_months(date(today.year, today.month, 1), months_ahead).strftime("%Y-%m")


def _count():
    return db.session.execute(select(func.count()).select_from(Need)).scalar_one()


def test_a_manager_states_changes_and_withdraws_a_need(api, world):
    manager = api.as_(world.tokens["manager_a"])
    skill = world.station.skills[0]
    r = manager.post("/api/v1/needs", json={"unit_id": world.unit_a.id, "skill_id": skill.id,
                                            "month": _month(2), "participant_ids": [world.staff_a[1].id]})
    assert r.status_code == 201, r.json
    assert (r.json["people"], r.json["month"], r.json["status"]) == (1, _month(2), "open")
    need_id = r.json["id"]
    r = manager.patch(f"/api/v1/needs/{need_id}", json={"people": 3, "note": "Även vikarier"})
    assert r.status_code == 200 and (r.json["people"], r.json["participant_ids"]) == (3, [world.staff_a[1].id])
    assert [n["id"] for n in manager.get("/api/v1/needs").json] == [need_id]
    assert api.as_(world.tokens["manager_b"]).get(f"/api/v1/needs/{need_id}").status_code == 404
    assert api.as_(world.tokens["admin"]).get(f"/api/v1/needs/{need_id}").status_code == 200
    assert manager.delete(f"/api/v1/needs/{need_id}").status_code == 200
    assert _count() == 0


@pytest.mark.parametrize("change, field", [
    ({"people": 0}, "people"), ({"month": "2020-01"}, "month"), ({"month": "januari"}, "month"),
    ({"skill_id": "inactive"}, "skill_id"), ({"participant_ids": ["unit_b"]}, "participant_ids"),
])
def test_bad_needs_are_422_and_nothing_is_saved(api, world, make, change, field):
    inactive = make.skill(code="GAMMAL", active=False)
    db.session.commit()
    body = {"unit_id": world.unit_a.id, "skill_id": world.station.skills[0].id, "month": _month(1), "people": 2}
    values = {"inactive": inactive.id, "unit_b": world.staff_b[0].id}
    for key, value in change.items():
        body[key] = [values[v] for v in value] if isinstance(value, list) else values.get(value, value)
    r = api.as_(world.tokens["manager_a"]).post("/api/v1/needs", json=body)
    assert r.status_code == 422, r.json
    assert r.json["error"]["field"] == field
    assert _count() == 0


@pytest.mark.parametrize("role, status", [
    ("admin", 201), ("manager_a", 201), ("manager_b", 422), ("instructor", 403), ("participant", 403),
    ("network", 403), ("none", 401),
])
def test_who_may_state_a_need_for_unit_a(api, world, role, status):
    body = {"unit_id": world.unit_a.id, "skill_id": world.station.skills[0].id, "month": _month(1), "people": 1}
    r = api.as_(world.tokens[role]).post("/api/v1/needs", json=body)
    assert r.status_code == status
    assert _count() == (1 if status == 201 else 0)
