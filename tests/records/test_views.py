"""The roster, record pages, certificate and matrix, for every role that may or may not see them."""
import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ktc.database import utcnow
from ktc.extensions import db
from ktc.i18n import local_today
from ktc.records.models import SkillRecord


def _post(client, url, **kwargs):
    """POST after ending the test's own transaction (on SQLite it would hold the write lock)."""
    db.session.commit()
    return client.post(url, **kwargs)


@pytest.fixture
def roster_setup(make):
    instructor = make.user("instructor")
    cpr = make.skill(name="HLR vuxen", refresh_months=24)
    station = make.station(skills=[cpr])
    session = make.session(station, start=utcnow() - timedelta(hours=3), instructors=[instructor])
    anna, bo = make.participant(name="Anna Ek"), make.participant(name="Bo Lind")
    b_anna, b_bo = make.booking(session, anna), make.booking(session, bo)
    db.session.commit()
    return instructor, cpr, session, (anna, bo), (b_anna, b_bo)


def test_roster_access(client, login_as, make, roster_setup):
    instructor, _cpr, session, _people, _bookings = roster_setup
    url = f"/records/sessions/{session.id}/roster"
    others = [make.user("instructor"), make.manager(make.unit()), make.participant_user(), make.user("network")]
    admin = make.user("admin")
    db.session.commit()
    for user in others:
        login_as(user)
        assert client.get(url).status_code == 403
        assert _post(client, f"/records/sessions/{session.id}/roster/all").status_code == 403
        assert _post(client, f"/records/sessions/{session.id}/complete").status_code == 403
    for user in (instructor, admin):
        login_as(user)
        page = client.get(url)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Anna Ek" in text and "Bo Lind" in text and "HLR vuxen" in text
    assert client.get("/records/sessions/999999/roster").status_code == 404


def test_roster_bulk_then_single_rows(client, login_as, roster_setup):
    instructor, cpr, session, (anna, bo), (b_anna, b_bo) = roster_setup
    login_as(instructor)
    response = _post(client, f"/records/sessions/{session.id}/roster/all", data={"confirmed": "yes"},
                     follow_redirects=True)
    assert response.status_code == 200
    assert "2" in response.get_data(as_text=True)
    db.session.expire_all()
    assert b_anna.status == b_bo.status == "attended"

    prefix = f"b{b_bo.id}-"
    response = _post(client, f"/records/sessions/{session.id}/roster", data={
        "booking_id": b_bo.id, prefix + "attendance": "attended",
        prefix + f"outcome_{cpr.id}": "needs_practice", prefix + f"comment_{cpr.id}": "Öva mer",
    })
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#row-{b_bo.id}")
    db.session.expire_all()
    records = {r.participant_id: r for r in db.session.execute(select(SkillRecord)).scalars()}
    assert (records[bo.id].outcome, records[bo.id].comment, records[bo.id].valid_until) == (
        "needs_practice", "Öva mer", None)
    assert records[anna.id].outcome == "demonstrated"

    # Marking a no-show (even with the outcome still selected) saves, removes Anna's sign-off from
    # this session and says so.
    prefix = f"b{b_anna.id}-"
    response = _post(client, f"/records/sessions/{session.id}/roster", data={
        "booking_id": b_anna.id, prefix + "attendance": "no_show", prefix + f"outcome_{cpr.id}": "demonstrated"},
        follow_redirects=True)
    assert response.status_code == 200
    assert "Anna Ek" in response.get_data(as_text=True) and "(1)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert b_anna.status == "no_show"
    assert db.session.execute(select(SkillRecord).where(SkillRecord.participant_id == anna.id)).first() is None
    # A booking of another session cannot be posted here.
    assert _post(client, f"/records/sessions/{session.id}/roster", data={"booking_id": 999999}).status_code == 404


def test_roster_complete_button(client, login_as, roster_setup):
    instructor, _cpr, session, _p, _b = roster_setup
    login_as(instructor)
    assert "Markera tillfället som genomfört" in client.get(f"/records/sessions/{session.id}/roster").get_data(
        as_text=True)
    assert _post(client, f"/records/sessions/{session.id}/complete", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert session.status == "completed"


def test_roster_before_start_shows_no_actions(client, login_as, make):
    instructor = make.user("instructor")
    session = make.session(make.station(skills=[make.skill()]), start=make.future(3), instructors=[instructor])
    make.booking(session, make.participant())
    db.session.commit()
    login_as(instructor)
    text = client.get(f"/records/sessions/{session.id}/roster").get_data(as_text=True)
    assert "när tillfället har börjat" in text
    assert "roster/all" not in text
    response = _post(client, f"/records/sessions/{session.id}/roster/all", follow_redirects=True)
    assert "när tillfället har börjat" in response.get_data(as_text=True)


@pytest.fixture
def people(make):
    unit = make.unit(name="Hemtjänst Norr")
    other_unit = make.unit(name="Sjukhus Syd", side="regional")
    cpr = make.skill(code="HLR", name="HLR vuxen", refresh_months=24)
    insulin = make.skill(code="INS", name="Insulin", refresh_months=12)
    hygiene = make.skill(code="HYG", name="Basal hygien", refresh_months=None)
    usk = make.profession("Undersköterska", skills=[cpr, insulin, hygiene])
    anna = make.participant(unit, name="Anna Ek", profession=usk)
    bo = make.participant(unit, name="Bo Lind", profession=usk)
    outsider = make.participant(other_unit, name="Olle Utom", profession=usk)
    today = local_today()
    make.skill_record(anna, cpr, valid_until=today + timedelta(days=400))
    make.skill_record(anna, insulin, valid_until=today - timedelta(days=1))
    make.skill_record(anna, hygiene, valid_until=None)
    make.skill_record(bo, cpr, valid_until=today + timedelta(days=10))
    make.skill_record(bo, insulin, "practised")
    manager = make.manager(unit)
    db.session.commit()
    return {"unit": unit, "other_unit": other_unit, "anna": anna, "bo": bo, "outsider": outsider,
            "manager": manager, "cpr": cpr, "insulin": insulin, "hygiene": hygiene, "usk": usk}


def test_record_pages_per_role(client, login_as, make, people):
    anna = people["anna"]
    own = make.participant_user(anna)
    other_participant = make.participant_user(people["bo"])
    other_manager = make.manager(people["other_unit"])
    no_person = make.user("participant")
    db.session.commit()
    login_as(own)
    text = client.get("/records/mine").get_data(as_text=True)
    assert "HLR vuxen" in text and "Utgången" in text and "Gäller tills vidare" in text
    assert client.get(f"/records/participants/{anna.id}").status_code == 200
    for user in (other_participant, other_manager):
        login_as(user)
        assert client.get(f"/records/participants/{anna.id}").status_code == 403
        assert client.get(f"/records/participants/{anna.id}/certificate").status_code == 403
    login_as(people["manager"])
    assert client.get(f"/records/participants/{anna.id}").status_code == 200
    assert client.get("/records/participants/999999").status_code == 404
    login_as(no_person)
    assert client.get("/records/mine").status_code == 404


def test_certificate_shows_only_what_is_valid_today(client, login_as, make, people):
    login_as(make.participant_user(people["anna"]))
    db.session.commit()
    text = client.get(f"/records/participants/{people['anna'].id}/certificate").get_data(as_text=True)
    assert "HLR vuxen" in text and "Basal hygien" in text
    assert "Insulin" not in text  # expired yesterday


def _matrix_rows(response):
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_matrix_cells_and_gap_links(client, login_as, make, people):
    cpr, insulin = people["cpr"], people["insulin"]
    station = make.station(skills=[cpr, insulin])
    bookable = make.session(station, start=make.future(10), skills=[insulin], capacity=8)
    too_soon = make.session(station, start=utcnow() + timedelta(hours=5), skills=[insulin])
    full = make.session(station, start=make.future(11), skills=[insulin], capacity=1)
    make.booking(full, make.participant())
    # 4 seats held for the region until 72 h before: a municipal manager cannot take the last 4.
    held = make.session(station, start=make.future(12), skills=[insulin], capacity=8, min_per_side=4)
    for _ in range(4):
        make.booking(held, make.participant())
    db.session.commit()
    login_as(people["manager"])
    response = client.get("/records/matrix")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Anna Ek" in text and "Bo Lind" in text and "Olle Utom" not in text
    assert f'href="#upcoming-{insulin.id}-municipal"' in text
    assert f'id="upcoming-{insulin.id}-municipal"' in text
    assert f'href="/sessions/{bookable.id}"' in text
    for session in (too_soon, full, held):
        assert f'href="/sessions/{session.id}"' not in text

    rows = _matrix_rows(client.get("/records/matrix?format=csv"))
    header = rows[0]
    assert header[:3] == ["Namn", "Enhet", "Yrke"]
    by_name = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert set(by_name) == {"Anna Ek", "Bo Lind"}
    anna, bo = by_name["Anna Ek"], by_name["Bo Lind"]
    today = local_today()
    assert anna["HLR HLR vuxen"] == f"Giltig {(today + timedelta(days=400)).isoformat()}"
    assert anna["INS Insulin"] == f"Utgången {(today - timedelta(days=1)).isoformat()}"
    assert anna["HYG Basal hygien"] == "Giltig"
    assert bo["HLR HLR vuxen"] == f"Går snart ut {(today + timedelta(days=10)).isoformat()}"
    assert bo["INS Insulin"] == "Övad, inte visad"
    assert bo["HYG Basal hygien"] == "Saknas"


def test_matrix_filters_and_scope(client, login_as, make, people):
    other_prof = make.profession("Sjuksköterska", skills=[people["cpr"]])
    make.participant(people["unit"], name="Sara Sjuk", profession=other_prof)
    admin = make.user("admin")
    db.session.commit()
    login_as(people["manager"])
    names = lambda url: {r[0] for r in _matrix_rows(client.get(url))[1:]}  # noqa: E731
    assert names("/records/matrix?format=csv") == {"Anna Ek", "Bo Lind", "Sara Sjuk"}
    assert names(f"/records/matrix?format=csv&profession={other_prof.id}") == {"Sara Sjuk"}
    rows = _matrix_rows(client.get(f"/records/matrix?format=csv&skill={people['insulin'].id}"))
    assert rows[0][3:] == ["INS Insulin"] and {r[0] for r in rows[1:]} == {"Anna Ek", "Bo Lind"}
    # Another manager's unit is not there to filter by.
    assert client.get(f"/records/matrix?unit={people['other_unit'].id}").status_code == 404
    login_as(admin)
    assert names(f"/records/matrix?format=csv&unit={people['other_unit'].id}") == {"Olle Utom"}
    for role in ("participant", "instructor", "network"):
        login_as(make.user(role))
        db.session.commit()
        assert client.get("/records/matrix").status_code == 403


def test_pages_in_english(client, login_as, people):
    login_as(people["manager"])
    _post(client, "/lang", data={"lang": "en"})
    text = client.get("/records/matrix").get_data(as_text=True)
    assert "Skill matrix" in text and "Expiring soon" in text
    assert date.today().year  # the page renders dates in the chosen locale
