"""Training needs: stated by managers, derived from the skill records, and the demand board."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ktc.errors import NotFound, PermissionDenied
from ktc.extensions import db
from ktc.planning import operations as ops
from ktc.planning.models import DerivedDecision, Need
from ktc.records.models import SkillRecord

TODAY = date(2027, 3, 10)


@pytest.fixture
def units(make):
    kommun = make.organisation("municipal", name="Värnamo kommun")
    region = make.organisation("regional", name="Region Jönköpings län")
    unit_a = make.unit(kommun, name="Hemtjänst Norr")
    unit_b = make.unit(kommun, name="Hemtjänst Söder")
    unit_r = make.unit(region, name="Vårdcentralen Bra Liv")
    return type("Units", (), {"a": unit_a, "b": unit_b, "r": unit_r, "kommun": kommun, "region": region})


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_manager_states_a_need_for_named_people_of_their_unit(make, units):
    skill = make.skill(code="KAT")
    manager = make.manager(units.a)
    anna, bo = make.participant(units.a, name="Anna"), make.participant(units.a, name="Bo")
    need = ops.create_need(manager, units.a, skill, date(2027, 5, 17), named=[anna, bo], note="Nya i maj",
                           today=TODAY)
    assert (need.month, need.people, need.status, need.source) == (date(2027, 5, 1), 2, "open", "stated")
    assert [p.name for p in need.named] == ["Anna", "Bo"]


@pytest.mark.parametrize("case, field", [
    ("inactive skill", "skill_id"), ("zero people", "people"), ("past month", "month"),
    ("too far ahead", "month"), ("someone of another unit", "participant_ids"),
])
def test_bad_needs_are_refused_with_the_field_named_and_nothing_saved(make, units, case, field):
    skill = make.skill(code="KAT")
    manager = make.manager(units.a)
    args = dict(skill=skill, month=date(2027, 4, 1), people=3, named=[])
    if case == "inactive skill":
        args["skill"] = make.skill(code="OLD", active=False)
    elif case == "zero people":
        args["people"] = 0
    elif case == "past month":
        args["month"] = date(2027, 2, 1)
    elif case == "too far ahead":
        args["month"] = date(2029, 4, 1)
    else:
        args["named"] = [make.participant(units.b)]
    with pytest.raises(ops.ValidationError) as exc:
        ops.create_need(manager, units.a, today=TODAY, **args)
    assert exc.value.field == field
    assert count(Need) == 0


def test_the_current_month_is_not_in_the_past(make, units):
    need = ops.create_need(make.manager(units.a), units.a, make.skill(), date(2027, 3, 1), people=1, today=TODAY)
    assert need.month == date(2027, 3, 1)


def test_a_manager_cannot_state_or_see_needs_of_another_unit(make, units):
    skill = make.skill()
    manager_a, manager_b = make.manager(units.a), make.manager(units.b)
    with pytest.raises(PermissionDenied):
        ops.create_need(manager_a, units.b, skill, date(2027, 4, 1), people=1, today=TODAY)
    need_b = ops.create_need(manager_b, units.b, skill, date(2027, 4, 1), people=1, today=TODAY)
    assert ops.visible_needs(manager_a) == []
    with pytest.raises(NotFound):
        ops.get_need(manager_a, need_b.id)
    assert ops.visible_needs(make.user("admin")) == [need_b]


def test_a_covered_need_can_no_longer_be_changed(make, units):
    manager = make.manager(units.a)
    skill = make.skill()
    need = ops.create_need(manager, units.a, skill, date(2027, 4, 1), people=2, today=TODAY)
    ops.update_need(manager, need, skill, date(2027, 6, 1), people=4, today=TODAY)
    assert (need.month, need.people) == (date(2027, 6, 1), 4)
    need.status = "covered"
    with pytest.raises(ops.NeedClosed):
        ops.update_need(manager, need, skill, date(2027, 7, 1), people=1, today=TODAY)
    with pytest.raises(ops.NeedClosed):
        ops.withdraw_need(manager, need)


# --- derived needs ----------------------------------------------------------------------------

@pytest.fixture
def staffed(make, units):
    """Unit A: three nurses whose profession requires KAT (refresh 12 months): one valid, one expiring
    in April, one never trained; and an expired record of someone in unit B."""
    kat = make.skill(code="KAT", refresh_months=12)
    nurse = make.profession("Sjuksköterska", skills=[kat])
    valid, expiring, lacking = (make.participant(units.a, name=n, profession=nurse)
                                for n in ("Vera Giltig", "Elsa Snart", "Mira Saknar"))
    old = make.completed_session(make.station(skills=[kat]), start=make.local(2026, 4, 20, 9))
    db.session.add_all([
        SkillRecord(participant=valid, skill=kat, session=old, outcome="demonstrated", valid_until=date(2028, 1, 1)),
        SkillRecord(participant=expiring, skill=kat, session=old, outcome="demonstrated",
                    valid_until=date(2027, 4, 20)),
    ])
    expired = make.participant(units.b, name="Eva Utgången", profession=nurse)
    db.session.add(SkillRecord(participant=expired, skill=kat, session=old, outcome="demonstrated",
                               valid_until=date(2027, 1, 31)))
    db.session.flush()
    return type("Staffed", (), {"kat": kat, "nurse": nurse, "valid": valid, "expiring": expiring,
                                "lacking": lacking, "expired": expired})


def test_derived_needs_group_the_people_lacking_a_skill_by_month(units, staffed):
    derived = ops.compute_derived([units.a.id, units.b.id], today=TODAY)
    shown = [(d.unit.name, d.skill.code, d.month, sorted(p.name for p, _, _ in d.people), d.urgency)
             for d in derived]
    assert shown == [
        ("Hemtjänst Norr", "KAT", date(2027, 3, 1), ["Mira Saknar"], "missing"),
        ("Hemtjänst Norr", "KAT", date(2027, 4, 1), ["Elsa Snart"], "expiring"),
        ("Hemtjänst Söder", "KAT", date(2027, 3, 1), ["Eva Utgången"], "expired"),
    ]


def test_a_dismissed_derived_need_stays_away_until_something_changes(make, units, staffed):
    manager = make.manager(units.a)
    march = next(d for d in ops.pending_derived([units.a.id], today=TODAY) if d.month == date(2027, 3, 1))
    ops.decide_derived(manager, units.a, staffed.kat.id, march.month, march.fingerprint, confirm=False,
                       today=TODAY)
    assert [d.month for d in ops.pending_derived([units.a.id], today=TODAY)] == [date(2027, 4, 1)]
    # Someone else now lacks the skill too: the need has changed, so it comes back.
    make.participant(units.a, name="Nils Ny", profession=staffed.nurse)
    back = [d for d in ops.pending_derived([units.a.id], today=TODAY) if d.month == date(2027, 3, 1)]
    assert [sorted(p.name for p, _, _ in d.people) for d in back] == [["Mira Saknar", "Nils Ny"]]


def test_confirming_a_derived_need_makes_it_a_need_for_those_people(make, units, staffed):
    manager = make.manager(units.a)
    april = next(d for d in ops.pending_derived([units.a.id], today=TODAY) if d.month == date(2027, 4, 1))
    need = ops.decide_derived(manager, units.a, staffed.kat.id, april.month, april.fingerprint, confirm=True,
                              today=TODAY)
    assert (need.source, need.people, need.urgency, [p.name for p in need.named]) == \
        ("derived", 1, "expiring", ["Elsa Snart"])
    assert [d.month for d in ops.pending_derived([units.a.id], today=TODAY)] == [date(2027, 3, 1)]


def test_a_decision_on_a_need_that_changed_meanwhile_is_refused(make, units, staffed):
    manager = make.manager(units.a)
    march = next(d for d in ops.pending_derived([units.a.id], today=TODAY) if d.month == date(2027, 3, 1))
    make.participant(units.a, name="Nils Ny", profession=staffed.nurse)
    with pytest.raises(ops.DerivedNeedChanged):
        ops.decide_derived(manager, units.a, staffed.kat.id, march.month, march.fingerprint, confirm=False,
                           today=TODAY)
    assert count(DerivedDecision) == 0


def test_another_units_manager_cannot_answer_a_derived_need(make, units, staffed):
    march = next(d for d in ops.pending_derived([units.a.id], today=TODAY) if d.month == date(2027, 3, 1))
    with pytest.raises(PermissionDenied):
        ops.decide_derived(make.manager(units.b), units.a, staffed.kat.id, march.month, march.fingerprint,
                           confirm=True, today=TODAY)


# --- the demand board ---------------------------------------------------------------------------

def test_the_board_sets_need_per_side_against_free_seats_per_side(make, units):
    skill = make.skill(code="HLR")
    admin = make.user("admin")
    today = date.today()
    month = date(today.year, today.month, 1)
    later = ops.add_months(month, 1)
    ops.create_need(admin, units.a, skill, later, people=5)
    ops.create_need(admin, units.b, skill, later, people=3)
    ops.create_need(admin, units.r, skill, later, people=2)
    # One session next month with 6 seats, 2 held for each side (not released yet), 1 municipal booked.
    station = make.station(skills=[skill])
    start = make.local(later.year, later.month, 15, 9)
    session = make.session(station, start=start, capacity=6, min_per_side=2, skills=[skill])
    make.booking(session, make.participant(units.a))
    board = ops.demand_board(months_ahead=3, today=today)
    municipal = board.by_side[(skill.id, later, "municipal")]
    regional = board.by_side[(skill.id, later, "regional")]
    assert (municipal.need, municipal.free, municipal.uncovered) == (8, 3, 5)
    assert (regional.need, regional.free, regional.uncovered) == (2, 4, 0)
    total = board.by_skill[(skill.id, later)]
    assert (total.need, total.free, total.uncovered) == (10, 5, 5)
    assert [(org.name, people) for org, _s, _m, people in board.by_organisation] == [
        ("Region Jönköpings län", 2), ("Värnamo kommun", 8)]


def test_heat_levels_follow_the_uncovered_share():
    levels = [ops.BoardCell(need=4, free=f).level for f in (4, 3, 2, 1, 0)]
    assert levels == [0, 1, 2, 3, 4]


def test_covered_needs_are_not_demand(make, units):
    skill = make.skill()
    month = ops.first_of_month(date.today() + timedelta(days=40))
    need = ops.create_need(make.user("admin"), units.a, skill, month, people=5)
    need.status = "covered"
    db.session.flush()
    assert ops.demand_board(months_ahead=3).by_side == {}


def test_the_board_reads_the_same_number_of_statements_whatever_the_skills(make, units):
    from sqlalchemy import event

    def statements():
        db.session.commit()  # nothing loaded stays fresh: every row is read again
        seen = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            board = ops.demand_board(months_ahead=3)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen), len(board.skills)

    station = make.station(skills=[make.skill() for _ in range(6)])
    make.session(station, start=make.future(days=20), skills=station.skills[:1])
    few = statements()
    make.session(station, start=make.future(days=21), skills=station.skills)
    many = statements()
    assert (few[1], many[1]) == (1, 6)
    assert many[0] == few[0]
