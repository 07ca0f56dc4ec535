"""The manager's matrix, rule by rule: tests written in answer to mutation testing (docs/MUTATION.md)."""
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from ktc.extensions import db
from ktc.i18n import to_local
from ktc.records.operations import build_matrix, matrix_csv_rows

TODAY = date(2025, 1, 15)


@pytest.fixture
def team(make):
    hlr = make.skill(code="HLR", name="Hjärt-lungräddning", refresh_months=12)
    nurse = make.profession("Sjuksköterska", skills=[hlr])
    unit = make.unit(name="Vårdcentralen Tranås")
    sara = make.participant(unit, name="Sara Sjö", profession=nurse)
    return type("T", (), {"hlr": hlr, "nurse": nurse, "unit": unit, "sara": sara})


def _cell(matrix, person, skill):
    (row,) = [r for r in matrix.rows if r.participant.id == person.id]
    return row.cells[skill.id].status, row.cells[skill.id].valid_until


def test_the_expiry_window_asked_for_is_the_one_used(make, team):
    # Valid 30 more days: expiring in a 60-day window (the configured one), valid in a 10-day window.
    make.skill_record(team.sara, team.hlr, "demonstrated", valid_until=date(2025, 2, 14), start=make.local(2024, 2, 14))
    matrix = build_matrix([team.unit.id], today=TODAY, window_days=10, with_upcoming=False)
    assert _cell(matrix, team.sara, team.hlr) == ("valid", date(2025, 2, 14))
    assert matrix.window_days == 10  # what the page's legend and the digest say "expiring" means
    assert _cell(build_matrix([team.unit.id], today=TODAY, with_upcoming=False),
                 team.sara, team.hlr) == ("expiring", date(2025, 2, 14))


def test_rows_come_in_name_order_whatever_order_the_people_were_added_in(make, team):
    # Added Tove, Bo, Anna after Sara (the fixture's): the matrix lists them by name, not by when the
    # record was made.
    for name in ("Tove Tall", "Bo Berg", "Anna Ahl"):
        make.participant(team.unit, name=name, profession=team.nurse)
    matrix = build_matrix([team.unit.id], today=TODAY, window_days=60, with_upcoming=False)
    assert [row.participant.name for row in matrix.rows] == ["Anna Ahl", "Bo Berg", "Sara Sjö", "Tove Tall"]


def _statements(action):
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_staff_of_many_units_and_professions_take_as_many_queries_as_of_one(make, team):
    # The people's units, organisations and professions come with the staff query, not one query
    # each: a matrix (and its CSV) over six units and six professions asks as many statements as
    # over one.
    units = [team.unit]
    for i in range(5):
        unit = make.unit(make.organisation(name=f"Kommun {i}"), name=f"Enhet {i}")
        make.participant(unit, name=f"Person {i}", profession=make.profession(f"Yrke {i}", skills=[team.hlr]))
        units.append(unit)
    db.session.commit()
    all_ids, one_id = [u.id for u in units], team.unit.id

    def matrix_of(unit_ids):
        db.session.expunge_all()  # nothing loaded before: what the matrix needs, it asks for
        matrix = build_matrix(unit_ids, today=TODAY, window_days=60, with_upcoming=False)
        matrix_csv_rows(matrix, defaultdict(str))  # names each person's unit and profession

    one = _statements(lambda: matrix_of([one_id]))
    assert _statements(lambda: matrix_of(all_ids)) == one


def test_the_latest_session_decides_even_when_its_record_was_signed_first(make, team):
    # The 2024 session's sign-off was entered before the 2020 session's (a late paper record typed
    # in afterwards): the session's date decides, not when the record was written.
    make.skill_record(team.sara, team.hlr, "demonstrated", valid_until=date(2025, 6, 1), start=make.local(2024, 6, 1))
    make.skill_record(team.sara, team.hlr, "demonstrated", valid_until=date(2021, 3, 1), start=make.local(2020, 3, 1))
    assert _cell(build_matrix([team.unit.id], today=TODAY, window_days=60, with_upcoming=False),
                 team.sara, team.hlr) == ("valid", date(2025, 6, 1))


def test_of_two_sessions_at_the_same_time_the_later_sign_off_decides(make, team):
    # Two stations' sessions started at the same moment; the record signed last is the one that
    # counts, whichever row was written first.
    start = make.local(2024, 6, 1)
    later = make.skill_record(team.sara, team.hlr, "demonstrated", valid_until=date(2025, 6, 1), start=start)
    earlier = make.skill_record(team.sara, team.hlr, "demonstrated", valid_until=date(2024, 12, 1), start=start)
    later.signed_at, earlier.signed_at = datetime(2024, 6, 2, 12, tzinfo=timezone.utc), datetime(2024, 6, 1, 12, tzinfo=timezone.utc)
    db.session.flush()
    assert _cell(build_matrix([team.unit.id], today=TODAY, window_days=60, with_upcoming=False),
                 team.sara, team.hlr) == ("valid", date(2025, 6, 1))


def test_a_manager_of_no_unit_sees_nobody_in_the_matrix(client, login_as, make):
    # Unit 1 exists and has staff: no units must not be read as "unit 1" (or any unit).
    first = make.unit(id=1, name="Enhet ett")
    make.participant(first, name="Ingrid Ett", profession=make.profession(skills=[make.skill(code="HLR")]))
    manager = make.manager(name="Maja Utan Enhet")
    db.session.commit()
    login_as(manager)
    response = client.get("/records/matrix")
    assert response.status_code == 200
    assert "Ingrid Ett" not in response.get_data(as_text=True)
    assert build_matrix([], today=TODAY, window_days=60, with_upcoming=False).rows == []


def _booked(team, now=None):
    matrix = build_matrix([team.unit.id], today=TODAY, window_days=60, now=now, with_upcoming=False)
    (row,) = [r for r in matrix.rows if r.participant.id == team.sara.id]
    cell = row.cells[team.hlr.id]
    return cell.booked, cell.booked_on


def test_the_booking_shown_is_the_earliest_coming_one(make, team):
    station = make.station(skills=[team.hlr])
    later = make.session(station, start=make.future(40), skills=[team.hlr])  # booked first, lower ids
    earlier = make.session(station, start=make.future(20), skills=[team.hlr])
    make.booking(later, team.sara)
    make.booking(earlier, team.sara)
    assert _booked(team) == ("confirmed", to_local(earlier.start_at).date())


def test_a_cancelled_booking_or_a_session_that_has_ended_shows_no_booking(make, team):
    station = make.station(skills=[team.hlr])
    session = make.session(station, start=make.future(20), skills=[team.hlr])
    cancelled = make.booking(make.session(station, start=make.future(10), skills=[team.hlr]), team.sara,
                             status="cancelled")
    assert cancelled.status == "cancelled" and _booked(team) == (None, None)
    make.booking(session, team.sara)
    during = session.end_at - timedelta(minutes=1)
    assert _booked(team, now=during) == ("confirmed", to_local(session.start_at).date())
    assert _booked(team, now=session.end_at) == (None, None)  # over: the matrix waits for the sign-off


def test_a_confirmed_seat_later_wins_over_a_waiting_place_sooner(make, team):
    station = make.station(skills=[team.hlr])
    sooner = make.session(station, start=make.future(20), skills=[team.hlr])
    later = make.session(station, start=make.future(40), skills=[team.hlr])
    make.booking(sooner, team.sara, status="waitlisted")
    assert _booked(team) == ("waitlisted", to_local(sooner.start_at).date())
    make.booking(later, team.sara)
    assert _booked(team) == ("confirmed", to_local(later.start_at).date())


def test_without_upcoming_sessions_asked_for_none_are_looked_up(make, team):
    # The CSV export and the training needs ask for the matrix without the sessions to offer.
    station = make.station(skills=[team.hlr])
    make.session(station, start=make.future(20), skills=[team.hlr])
    key = (team.hlr.id, team.unit.organisation.side)
    assert build_matrix([team.unit.id], today=TODAY, window_days=60).upcoming[key] != []
    assert build_matrix([team.unit.id], today=TODAY, window_days=60, with_upcoming=False).upcoming == {key: []}
