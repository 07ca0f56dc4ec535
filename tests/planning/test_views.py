"""The needs screens: a manager states a need, answers derived needs; KTC staff read the board."""
from datetime import date

from sqlalchemy import select

from ktc.extensions import db
from ktc.planning import operations as ops
from ktc.planning.models import DerivedDecision, Need


def _month(months_ahead):
    today = date.today()
    return ops.add_months(date(today.year, today.month, 1), months_ahead)


def test_a_manager_states_a_need_and_sees_it_listed(client, login_as, make):
    unit = make.unit(make.organisation("municipal"), name="Hemtjänst Centrum")
    skill = make.skill(code="SÅR", name="Sårvård")
    anna = make.participant(unit, name="Anna Ek")
    manager = make.manager(unit)
    login_as(manager)
    db.session.commit()
    page = client.get("/needs/new")
    assert page.status_code == 200 and "Anna Ek" in page.text
    month = _month(2)
    r = client.post("/needs/new", data={"unit_id": unit.id, "skill_id": skill.id, "month": month.strftime("%Y-%m"),
                                        "participant_ids": [anna.id], "note": "Nyanställd"})
    assert r.status_code == 302
    need = db.session.execute(select(Need)).scalar_one()
    assert (need.people, need.month, [p.name for p in need.named]) == (1, month, ["Anna Ek"])
    listing = client.get("/needs/")
    assert "Sårvård" in listing.text and "Nyanställd" in listing.text


def test_a_need_with_zero_people_or_a_past_month_is_refused_on_the_form(client, login_as, make):
    unit = make.unit(make.organisation("municipal"))
    skill = make.skill()
    login_as(make.manager(unit))
    db.session.commit()
    r = client.post("/needs/new", data={"unit_id": unit.id, "skill_id": skill.id,
                                        "month": _month(1).strftime("%Y-%m"), "people": "0"})
    assert r.status_code == 422 and "1 till" in r.text
    r = client.post("/needs/new", data={"unit_id": unit.id, "skill_id": skill.id,
                                        "month": _month(-1).strftime("%Y-%m"), "people": "2"})
    assert r.status_code == 422 and "Månaden har redan passerat" in r.text
    assert db.session.execute(select(Need)).first() is None


def test_a_manager_dismisses_a_derived_need(client, login_as, make):
    unit = make.unit(make.organisation("municipal"), name="Boende Lyckan")
    skill = make.skill(code="HLR", name="Hjärt-lungräddning")
    make.participant(unit, name="Sara Lind", profession=make.profession("Undersköterska", skills=[skill]))
    login_as(make.manager(unit))
    db.session.commit()
    page = client.get("/needs/derived")
    assert "Sara Lind" in page.text
    pending = ops.pending_derived([unit.id])
    r = client.post("/needs/derived/decide", data={
        "unit_id": unit.id, "skill_id": skill.id, "month": pending[0].month.isoformat(),
        "fingerprint": pending[0].fingerprint, "decision": "dismiss"})
    assert r.status_code == 302
    assert db.session.execute(select(DerivedDecision.decision)).scalar_one() == "dismissed"
    assert "Sara Lind" not in client.get("/needs/derived").text


def test_the_board_shows_uncovered_demand_with_a_data_table_and_a_csv(client, login_as, make):
    unit = make.unit(make.organisation("regional", name="Region Kronoberg"))
    skill = make.skill(code="PVK", name="Perifer venkateter")
    admin = make.user("admin")
    ops.create_need(admin, unit, skill, _month(1), people=4)
    login_as(admin)
    db.session.commit()
    page = client.get("/needs/board")
    assert page.status_code == 200
    assert 'class="heat-4"' in page.text and "4 / 0" in page.text and "Region Kronoberg" in page.text
    csv = client.get("/needs/board?format=csv")
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Färdighetskod;")
    assert lines[1] == f"PVK;Perifer venkateter;{_month(1).strftime('%Y-%m')};Region;4;0;4"


def test_ids_past_what_the_database_holds_are_not_found_not_a_server_error(client, login_as, make):
    unit = make.unit(make.organisation("municipal"))
    manager, admin = make.manager(unit), make.user("admin")
    db.session.commit()
    login_as(manager)
    for unit_id in (str(2**31), str(2**63), "-1"):
        r = client.post("/needs/derived/decide", data={"unit_id": unit_id, "skill_id": "1", "month": "2027-03-01",
                                                         "fingerprint": "x", "decision": "confirm"})
        assert r.status_code == 404, unit_id
    login_as(admin)
    row = f"{2**31}|2027-03-01T08:00:00+00:00|2027-03-01T10:00:00+00:00|1|1|0"
    assert client.post("/needs/plan/accept", data={"row-1": row, "keep": ["1"]}).status_code == 400
