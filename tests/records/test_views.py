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


def _grid(client, session):
    """The roster grid's fields as the page draws them (what a browser would post back)."""
    import re

    text = client.get(f"/records/sessions/{session.id}/roster").get_data(as_text=True)
    data = {}
    for name, value in re.findall(r'<input[^>]*name="(b\d+-(?:seen|comment_\d+))"[^>]*value="([^"]*)"', text):
        data[name] = value.replace("&#34;", '"').replace("&quot;", '"')
    for name, body in re.findall(r'<select[^>]*name="(b\d+-[a-z_0-9]+)"[^>]*>(.*?)</select>', text, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        data[name] = next(v for v in chosen.groups() if v is not None) if chosen else ""
    return data


def test_roster_grid_saves_the_changed_rows_together(client, login_as, roster_setup):
    instructor, cpr, session, (anna, bo), (b_anna, b_bo) = roster_setup
    login_as(instructor)
    text = client.get(f"/records/sessions/{session.id}/roster").get_data(as_text=True)
    # One form for everyone, one save button; the skill's code heads its column with the full name.
    assert text.count('class="roster-form"') == 1 and text.count(">Spara närvarolistan</button>") == 1
    assert f'<abbr title="HLR vuxen" aria-hidden="true">{cpr.code}</abbr>' in text
    assert 'src="/static/js/unsaved.js"' in text and "data-warn-unsaved" in text

    data = _grid(client, session)
    data.update({f"b{b_anna.id}-attendance": "attended", f"b{b_anna.id}-outcome_{cpr.id}": "demonstrated",
                 f"b{b_bo.id}-attendance": "attended", f"b{b_bo.id}-outcome_{cpr.id}": "needs_practice",
                 f"b{b_bo.id}-comment_{cpr.id}": "Öva mer"})
    response = _post(client, f"/records/sessions/{session.id}/roster", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "2 personer ändrades" in response.get_data(as_text=True)
    db.session.expire_all()
    assert b_anna.status == b_bo.status == "attended"
    records = {r.participant_id: r for r in db.session.execute(select(SkillRecord)).scalars()}
    assert (records[bo.id].outcome, records[bo.id].comment, records[bo.id].valid_until) == (
        "needs_practice", "Öva mer", None)
    assert records[anna.id].outcome == "demonstrated" and records[anna.id].valid_until is not None

    # Marking a no-show (even with the outcome still selected) saves, removes Anna's sign-off from
    # this session and says so, naming her.
    data = _grid(client, session)
    data[f"b{b_anna.id}-attendance"] = "no_show"
    response = _post(client, f"/records/sessions/{session.id}/roster", data=data, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Anna Ek" in text and "(1)" in text and "1 person ändrades" in text
    db.session.expire_all()
    assert b_anna.status == "no_show" and b_bo.status == "attended"
    assert db.session.execute(select(SkillRecord).where(SkillRecord.participant_id == anna.id)).first() is None
    assert db.session.execute(select(SkillRecord).where(SkillRecord.participant_id == bo.id)).scalar_one().comment \
        == "Öva mer"


def test_roster_grid_error_names_the_person_keeps_every_edit_and_saves_nothing(client, login_as, roster_setup):
    instructor, cpr, session, (anna, bo), (b_anna, b_bo) = roster_setup
    login_as(instructor)
    data = _grid(client, session)
    # Bo's row is fine; Anna has an outcome but no attendance, and a comment that is too long.
    data.update({f"b{b_bo.id}-attendance": "attended", f"b{b_bo.id}-outcome_{cpr.id}": "practised",
                 f"b{b_bo.id}-comment_{cpr.id}": "Bra start",
                 f"b{b_anna.id}-outcome_{cpr.id}": "demonstrated", f"b{b_anna.id}-comment_{cpr.id}": "x" * 1001})
    response = _post(client, f"/records/sessions/{session.id}/roster", data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Anna Ek: Välj närvarande eller uteblev." in text
    assert "Anna Ek: Fältet får vara högst 1000 tecken långt." in text or "Anna Ek: " in text.split("1000")[0]
    assert "Bo Lind:" not in text
    # Every unsaved edit is on the page again, in both rows.
    assert f'name="b{b_bo.id}-comment_{cpr.id}" type="text" value="Bra start"' in text
    assert 'value="practised" selected' in text or '<option selected value="practised"' in text
    assert 'value="demonstrated" selected' in text or '<option selected value="demonstrated"' in text
    assert "data-dirty" in text
    db.session.expire_all()
    assert b_bo.status == b_anna.status == "confirmed"
    assert db.session.execute(select(SkillRecord)).first() is None


def test_roster_grid_row_of_someone_who_cancelled_meanwhile_is_named_and_nothing_saved(client, login_as,
                                                                                        roster_setup):
    instructor, cpr, session, (anna, bo), (b_anna, b_bo) = roster_setup
    login_as(instructor)
    data = _grid(client, session)
    data.update({f"b{b_anna.id}-attendance": "attended", f"b{b_bo.id}-attendance": "attended",
                 f"b{b_anna.id}-comment_{cpr.id}": "Säker"})
    b_bo.status, b_bo.cancelled_at = "cancelled", utcnow()  # Bo cancels between the page and the save
    response = _post(client, f"/records/sessions/{session.id}/roster", data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Bo Lind: har inte längre någon plats" in text
    assert f'name="b{b_anna.id}-comment_{cpr.id}" type="text" value="Säker"' in text
    db.session.expire_all()
    assert b_anna.status == "confirmed"


def test_roster_grid_refusal_from_the_operation_names_the_person(client, login_as, roster_setup, monkeypatch):
    from ktc.records import operations
    from ktc.records.operations import OutcomeWithoutAttendance

    instructor, cpr, session, (anna, bo), (b_anna, b_bo) = roster_setup
    login_as(instructor)
    data = _grid(client, session)
    data.update({f"b{b_anna.id}-attendance": "attended", f"b{b_bo.id}-attendance": "attended"})
    apply_row, bo_id = operations._apply_row, bo.id

    def refuse_bo(actor, session, booking, *args):
        if booking.participant_id == bo_id:
            raise OutcomeWithoutAttendance()
        return apply_row(actor, session, booking, *args)

    monkeypatch.setattr(operations, "_apply_row", refuse_bo)
    response = _post(client, f"/records/sessions/{session.id}/roster", data=data)
    assert response.status_code == 422
    assert "Bo Lind: Bara den som var närvarande" in response.get_data(as_text=True)
    db.session.expire_all()
    assert b_anna.status == "confirmed"  # all or nothing: Anna's row is not saved either


def test_roster_grid_leaves_rows_nobody_changed(client, login_as, roster_setup):
    """A co-instructor's edit made after the page was drawn is not overwritten by the old values."""
    instructor, cpr, session, (anna, bo), (b_anna, b_bo) = roster_setup
    login_as(instructor)
    data = _grid(client, session)
    data[f"b{b_anna.id}-attendance"] = "attended"
    b_bo.status = "no_show"  # someone else saved Bo meanwhile
    response = _post(client, f"/records/sessions/{session.id}/roster", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert (b_anna.status, b_bo.status) == ("attended", "no_show")


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


def test_my_skills_is_a_compact_list_valid_first_expiring_marked_with_coming_bookings(client, login_as, make, people):
    import re

    anna, bo = people["anna"], people["bo"]
    station = make.station(skills=[people["hygiene"], people["insulin"]], name="Hygienstationen")
    coming = make.session(station, start=make.future(12), skills=[people["hygiene"]])
    full = make.session(station, start=make.future(14), skills=[people["insulin"]])
    make.booking(coming, bo)
    make.booking(full, bo, status="waitlisted")
    make.booking(make.session(station, start=make.future(15), skills=[people["hygiene"]]), anna, status="cancelled")
    user_bo, user_anna = make.participant_user(bo), make.participant_user(anna)
    db.session.commit()

    login_as(user_anna)
    text = client.get("/records/mine").get_data(as_text=True)
    items = re.findall(r'<li class="skill-list__item skill-list__item--(\w+)">\s*<span class="skill-list__name">([^<]+?) <',
                       text)
    assert items == [("valid", "HLR vuxen"), ("valid", "Basal hygien"), ("expired", "Insulin")]
    assert "Bokad" not in text  # a cancelled booking is not a coming one

    login_as(user_bo)
    text = client.get("/records/mine").get_data(as_text=True)
    items = re.findall(r'<li class="skill-list__item skill-list__item--(\w+)">\s*<span class="skill-list__name">([^<]+?) <',
                       text)
    assert items == [("expiring", "HLR vuxen"), ("practised", "Insulin"), ("missing", "Basal hygien")]
    hygiene = text.split("Basal hygien <")[1].split("</li>")[0]
    assert f'href="/sessions/{coming.id}"' in hygiene and "Bokad " in hygiene
    insulin = text.split("Insulin <")[1].split("</li>")[0]
    assert f'href="/sessions/{full.id}"' in insulin and "På reservlistan " in insulin


def test_roster_grid_does_not_overwrite_a_row_someone_else_saved_after_the_page_was_drawn(client, login_as,
                                                                                          roster_setup):
    instructor, cpr, session, (anna, bo), (b_anna, b_bo) = roster_setup
    login_as(instructor)
    mine = _grid(client, session)  # this instructor's page
    old_page = dict(mine)
    theirs = _grid(client, session)  # a co-instructor's page, drawn at the same time
    theirs.update({f"b{b_anna.id}-attendance": "attended", f"b{b_anna.id}-outcome_{cpr.id}": "demonstrated"})
    assert _post(client, f"/records/sessions/{session.id}/roster", data=theirs).status_code == 302

    # The first page still shows Anna unrecorded: saving it changes her row and Bo's.
    mine.update({f"b{b_anna.id}-attendance": "no_show", f"b{b_bo.id}-attendance": "attended"})
    response = _post(client, f"/records/sessions/{session.id}/roster", data=mine)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Anna Ek: någon annan sparade raden" in text and "Bo Lind:" not in text
    db.session.expire_all()
    assert (b_anna.status, b_bo.status) == ("attended", "confirmed")
    assert db.session.execute(select(SkillRecord.outcome).where(SkillRecord.participant_id == anna.id)).scalar_one() \
        == "demonstrated"

    # From the same old page, a row the other save did not touch still saves.
    old_page[f"b{b_bo.id}-attendance"] = "attended"
    assert _post(client, f"/records/sessions/{session.id}/roster", data=old_page).status_code == 302
    db.session.expire_all()
    assert (b_anna.status, b_bo.status) == ("attended", "attended")
