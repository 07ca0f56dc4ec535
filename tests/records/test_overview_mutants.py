"""A person's skill overview, "My skills", the matrix's units, summary counts, gap list and CSV rows
at their edges (answers to mutants of ktc/records/operations.py)."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from ktc.extensions import db
from ktc.records import operations as ops
from ktc.records.operations import Cell, Matrix, MatrixRow

TODAY = date(2025, 6, 1)


# --- the matrix's own helpers (no database) ----------------------------------------------------

def _skill(id_, code, name=""):
    return SimpleNamespace(id=id_, code=code, name=name or code)


def _person(name, unit, profession=None):
    return SimpleNamespace(name=name, unit=SimpleNamespace(name=unit),
                           profession=SimpleNamespace(name=profession) if profession else None)


def test_the_summary_counts_each_status_and_each_kind_of_coming_booking():
    rows = [
        MatrixRow(None, {1: Cell("valid"), 2: Cell("expired", booked="confirmed")}),
        MatrixRow(None, {1: Cell("valid"), 2: Cell("missing", booked="waitlisted")}),
        MatrixRow(None, {1: Cell("expired", booked="confirmed"), 2: Cell("missing")}),
    ]
    matrix = Matrix([], rows, {}, TODAY, 60)
    assert matrix.counts() == {"valid": 2, "expired": 2, "missing": 2, "confirmed": 2, "waitlisted": 1}


def test_the_gaps_are_listed_by_skill_code_then_side():
    b, a = _skill(1, "B"), _skill(2, "A")
    upcoming = {(1, "regional"): [], (2, "regional"): [], (1, "municipal"): [], (2, "municipal"): []}
    matrix = Matrix([b, a], [], upcoming, TODAY, 60)
    assert matrix.gap_skill_sides() == [(2, "municipal"), (2, "regional"), (1, "municipal"), (1, "regional")]


LABELS = {"name": "Namn", "unit": "Enhet", "profession": "Yrke", "valid": "Giltig", "expiring": "Går ut snart",
          "expired": "Utgången", "practised": "Övad", "missing": "Saknas", "booked_confirmed": "bokad",
          "booked_waitlisted": "på reservlistan"}


def test_the_csv_rows_carry_status_date_and_coming_booking_per_skill():
    cpr, lift = _skill(1, "HLR", "HLR vuxen"), _skill(2, "LYFT", "Lyft")
    rows = [
        MatrixRow(_person("Anna", "Hemtjänst", "Undersköterska"), {
            1: Cell("expired", date(2025, 5, 1), booked="waitlisted", booked_on=date(2025, 6, 20)),
            2: Cell("valid", date(2026, 1, 31)),
        }),
        MatrixRow(_person("Bo", "Hemtjänst"), {2: Cell("missing", booked="confirmed", booked_on=date(2025, 6, 9))}),
    ]
    header, values = ops.matrix_csv_rows(Matrix([cpr, lift], rows, {}, TODAY, 60), LABELS)
    assert header == ["Namn", "Enhet", "Yrke", "HLR HLR vuxen", "LYFT Lyft"]
    assert values == [
        ["Anna", "Hemtjänst", "Undersköterska", "Utgången 2025-05-01 (på reservlistan 2025-06-20)",
         "Giltig 2026-01-31"],
        ["Bo", "Hemtjänst", "", "", "Saknas (bokad 2025-06-09)"],
    ]


# --- the units a user may see in the matrix ------------------------------------------------------

def test_the_units_in_the_matrix_admins_all_managers_their_own_by_name(make):
    units = [make.unit(name=name) for name in ("Öst", "Norr", "Syd")]
    admin, manager, nobody = make.user("admin"), make.manager(units[0], units[2]), make.manager()
    db.session.commit()
    assert [u.name for u in ops.visible_units(admin)] == ["Norr", "Syd", "Öst"]
    assert [u.name for u in ops.visible_units(manager)] == ["Syd", "Öst"]
    # A manager of no unit sees none (not unit 1, not every unit).
    assert ops.visible_units(nobody) == []


# --- a person's overview and "My skills" -------------------------------------------------------

def test_the_overview_by_the_day_and_window_given_newest_sign_off_first(app, make):
    assert app.config["KTC_EXPIRY_WINDOW_DAYS"] == 60
    cpr, wound, lift, bath = (make.skill(code=code) for code in ("HLR", "SAR", "LYFT", "BAD"))
    person = make.participant(profession=make.profession(skills=[cpr]))
    someone_else = make.participant()
    # Two sessions at the same moment: the one signed later is the latest (and decides).
    same_start = make.local(2025, 3, 3)
    first = make.skill_record(person, cpr, valid_until=date(2025, 7, 15), start=same_start)
    second = make.skill_record(person, cpr, "practised", start=same_start)
    first.signed_at = datetime(2025, 3, 3, 12, 0, tzinfo=timezone.utc)
    second.signed_at = datetime(2025, 3, 3, 11, 0, tzinfo=timezone.utc)
    # An earlier session signed off late (after the March ones): still older in the history.
    older = make.skill_record(person, cpr, "practised", start=make.local(2025, 2, 3))
    older.signed_at = datetime(2025, 3, 10, 9, 0, tzinfo=timezone.utc)
    for skill in (wound, lift, bath):
        make.skill_record(person, skill, "practised")
    make.skill_record(someone_else, cpr, valid_until=date(2030, 1, 1))
    db.session.commit()

    overview = ops.skill_overview(person, TODAY, 30)
    # Valid until 15 July: more than 30 days from 1 June (60 would make it expiring).
    assert [(i.skill.code, i.required, i.status, i.valid_until) for i in overview] == [
        ("HLR", True, "valid", date(2025, 7, 15)), ("BAD", False, "practised", None),
        ("LYFT", False, "practised", None), ("SAR", False, "practised", None)]
    assert [r.id for r in overview[0].history] == [first.id, second.id, older.id]
    assert ops.skill_overview(person, TODAY)[0].status == "expiring"   # the setting's 60 days
    assert ops.skill_overview(person, date(2025, 7, 16), 30)[0].status == "expired"
    # Someone without a profession: what they trained, nothing required.
    assert [(i.skill.code, i.required, i.status) for i in ops.skill_overview(someone_else, TODAY, 30)] == [
        ("HLR", False, "valid")]


def test_my_skills_valid_by_date_never_expiring_last_with_bookings_by_the_clock_given(make):
    a, b, c, d = (make.skill(code=code, refresh_months=12) for code in ("A", "B", "C", "D"))
    person = make.participant(profession=make.profession(skills=[a, b, c]))
    make.skill_record(person, a, valid_until=None)                    # never expires
    make.skill_record(person, b, valid_until=date(2026, 5, 1))
    make.skill_record(person, c, valid_until=date(2026, 3, 1))
    # A session of D on 10 June 2025: coming on the clock given (1 June), past on the machine's.
    station = make.station(skills=[d])
    session = make.session(station, start=datetime(2025, 6, 10, 8, 0, tzinfo=timezone.utc))
    booking = make.booking(session, person)
    db.session.commit()

    now = datetime(2025, 6, 1, 8, 0, tzinfo=timezone.utc)
    overview = ops.skill_overview(person, TODAY, 30)
    listed = ops.own_skill_list(person, overview, TODAY, now=now)
    assert [(item.skill.code, item.required, item.status, bookings) for item, bookings in listed] == [
        ("C", True, "valid", []), ("B", True, "valid", []), ("A", True, "valid", []),
        ("D", False, "missing", [booking])]
    assert [item.skill.code for item in overview] == ["A", "B", "C"]   # the overview given is not changed
