"""The planning model on small hand-made cases with a known optimum, and random cases checked by an
independent validator (written here, not taken from the solver)."""
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from ktc.planning import solver as sv

DAY = date(2027, 3, 1)


def slot(id_, station, hour, skills=(1,), capacity=4, min_per_side=1, day=DAY, month=0, minutes=120):
    start = datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)
    return sv.Slot(id_, station, start, start + timedelta(minutes=minutes), day, month, capacity, min_per_side,
                   tuple(skills))


def instance(slots, demands, qualified=None, free=None, room=1, min_fill=1, months=2):
    qualified = qualified if qualified is not None else {10: {1}}
    free = free if free is not None else {i: {s.id for s in slots} for i in qualified}
    day_room = {i: {s.day: room for s in slots} for i in qualified}
    return sv.Instance(slots, demands, qualified, free, day_room, min_fill=min_fill, months=months)


def demand(key, people, side="municipal", urgency="missing", skill=1, month=0):
    return sv.Demand(key, skill, side, month, urgency, people)


def solve(inst):
    plan = sv.solve(inst, time_limit=10, seed=1, deterministic_time=20)
    validate(inst, plan)
    return plan


def validate(inst, plan):
    """Every hard constraint, checked from the plan and the instance alone."""
    slots = {s.id: s for s in inst.slots}
    used = [s.slot.id for s in plan.sessions]
    assert len(used) == len(set(used)), "a slot used twice"
    for session in plan.sessions:
        slot_ = slots[session.slot.id]
        assert session.skill_id in slot_.skills, "skill not taught at the station"
        assert session.skill_id in inst.qualified[session.instructor_id], "instructor not qualified"
        assert slot_.id in inst.free_slots[session.instructor_id], "instructor not available"
        total = sum(session.seats.values())
        assert inst.min_fill <= total <= slot_.capacity, "seats outside min fill and capacity"
        both = all(session.seats[side] > 0 for side in sv.SIDES)
        assert session.mixed == both
        if both:
            hold = min(slot_.min_per_side, slot_.capacity // 2)
            assert session.min_per_side == hold
            assert all(session.seats[side] <= slot_.capacity - hold for side in sv.SIDES), "mixing rule"
        else:
            assert session.min_per_side == 0
    for a in plan.sessions:
        for b in plan.sessions:
            if a is b or not (a.slot.start < b.slot.end and b.slot.start < a.slot.end):
                continue
            assert a.slot.station_id != b.slot.station_id, "station double-booked"
            assert a.instructor_id != b.instructor_id, "instructor double-booked"
    per_day = {}
    for session in plan.sessions:
        key = (session.instructor_id, session.slot.day)
        per_day[key] = per_day.get(key, 0) + 1
    for (instructor, day), n in per_day.items():
        assert n <= inst.day_room[instructor].get(day, 0), "too many sessions in a day"
    # Covered need fits the seats planned by each due month, per skill and side.
    for d in inst.demands:
        assert 0 <= plan.covered[d.key] <= d.people
    keys = {(d.skill_id, d.side) for d in inst.demands}
    assert all((s.skill_id, side) in keys for s in plan.sessions for side in sv.SIDES if s.seats[side]), \
        "seats planned for nobody"
    for skill_id, side in keys:
        for month in range(inst.months):
            need = sum(plan.covered[d.key] for d in inst.demands
                       if (d.skill_id, d.side) == (skill_id, side) and d.month <= month)
            seats = sum(s.seats[side] for s in plan.sessions if s.skill_id == skill_id and s.slot.month <= month)
            assert need <= seats, "need covered by seats after its month"
        total_need = sum(plan.covered[d.key] for d in inst.demands if (d.skill_id, d.side) == (skill_id, side))
        total_seats = sum(s.seats[side] for s in plan.sessions if s.skill_id == skill_id)
        assert total_need == total_seats, "seats planned for nobody"
    assert plan.objective == sum(sv.weight(d) * plan.covered[d.key] for d in inst.demands)


def test_one_session_a_day_goes_to_the_expired_first_and_is_mixed_with_seats_held():
    inst = instance([slot(1, 1, 9), slot(2, 1, 12)],
                    [demand("k", 3, "municipal", "expired"), demand("r", 3, "regional", "missing")])
    plan = solve(inst)
    assert plan.status == "OPTIMAL"
    # One session (one per day for the only instructor), 4 seats: mixed, so each side gets at most 3.
    assert [(s.mixed, s.min_per_side, s.seats) for s in plan.sessions] == \
        [(True, 1, {"municipal": 3, "regional": 1})]
    assert plan.covered == {"k": 3, "r": 1}
    assert plan.objective == 3 * (1200 + 11) + 1 * (12 + 11)


def test_seats_held_per_side_in_a_mixed_session_can_make_a_single_sided_one_better():
    # Four seats, two held per side when mixed: 2 + 2 would cover less weight than 3 expired alone,
    # and 3 + 1 breaks the rule.
    inst = instance([slot(1, 1, 9, min_per_side=2)],
                    [demand("k", 3, "municipal", "expired"), demand("r", 3, "regional", "expiring")])
    plan = solve(inst)
    assert [(s.mixed, s.seats) for s in plan.sessions] == [(False, {"municipal": 3, "regional": 0})]
    assert plan.objective == 3 * (1200 + 11)


def test_with_room_for_two_sessions_everyone_is_covered_and_a_one_sided_session_is_marked_so():
    inst = instance([slot(1, 1, 9), slot(2, 1, 12)],
                    [demand("k", 4, "municipal", "expired"), demand("r", 2, "municipal", "missing")], room=2)
    plan = solve(inst)
    assert plan.covered == {"k": 4, "r": 2}
    assert all(not s.mixed and s.min_per_side == 0 for s in plan.sessions)


def test_one_instructor_is_never_in_two_places_at_once():
    inst = instance([slot(1, 1, 9), slot(2, 2, 9), slot(3, 2, 10, minutes=60)],
                    [demand("k", 12, "municipal", "expired")], room=3)
    plan = solve(inst)
    assert len(plan.sessions) == 1 and plan.covered == {"k": 4}


def test_older_needs_first_within_one_urgency():
    inst = instance([slot(1, 1, 9)], [demand("may", 4, month=1), demand("march", 4, month=0)], months=2)
    plan = solve(inst)
    assert plan.covered == {"march": 4, "may": 0}


def test_seats_after_the_due_month_do_not_count():
    inst = instance([slot(1, 1, 9, month=1)], [demand("k", 3, month=0)], months=2)
    plan = solve(inst)
    assert plan.sessions == [] and plan.reasons == {"k": sv.NO_CAPACITY}


@pytest.mark.parametrize("case, reason", [
    ("no station teaches it", sv.NO_STATION), ("no qualified instructor", sv.NO_INSTRUCTOR),
    ("too few people", sv.TOO_FEW),
])
def test_every_uncovered_need_gets_a_reason(case, reason):
    slots = [slot(1, 1, 9, skills=(2,) if case == "no station teaches it" else (1,))]
    qualified = {10: {3}} if case == "no qualified instructor" else {10: {1, 2}}
    inst = instance(slots, [demand("k", 2 if case == "too few people" else 5)], qualified=qualified,
                    min_fill=3)
    plan = solve(inst)
    assert plan.sessions == [] and plan.reasons == {"k": reason}


def test_the_same_instance_and_seed_give_the_same_plan():
    inst = random_instance(random.Random(7))
    one = sv.solve(inst, time_limit=10, seed=3, deterministic_time=5)
    two = sv.solve(inst, time_limit=10, seed=3, deterministic_time=5)
    assert [(s.slot.id, s.skill_id, s.instructor_id, s.seats) for s in one.sessions] == \
        [(s.slot.id, s.skill_id, s.instructor_id, s.seats) for s in two.sessions]


def random_instance(rng):
    slots = []
    for station in range(1, 4):
        skills = tuple(rng.sample(range(1, 6), 2))
        for d in range(4):
            day = DAY + timedelta(days=d)
            for k, hour in enumerate((8, 10, 13)):
                slots.append(slot(len(slots) + 1, station, hour, skills=skills, capacity=rng.randint(3, 8),
                                  min_per_side=rng.randint(0, 2), day=day, month=d // 2))
    qualified = {10 + i: set(rng.sample(range(1, 6), 3)) for i in range(3)}
    free = {i: {s.id for s in slots if rng.random() < 0.7} for i in qualified}
    demands = [demand(f"d{j}", rng.randint(1, 6), rng.choice(sv.SIDES), rng.choice(list(sv.URGENCY_BASE)),
                      skill=rng.randint(1, 6), month=rng.randint(0, 1)) for j in range(12)]
    inst = sv.Instance(slots, demands, qualified, free,
                       {i: {s.day: rng.randint(1, 2) for s in slots} for i in qualified}, min_fill=2, months=2)
    return inst


@pytest.mark.parametrize("seed", range(6))
def test_random_cases_keep_every_hard_constraint(seed):
    inst = random_instance(random.Random(seed))
    plan = sv.solve(inst, time_limit=10, seed=seed, deterministic_time=5)
    assert plan.status in ("OPTIMAL", "FEASIBLE")
    validate(inst, plan)


@pytest.mark.parametrize("seed", range(6))
def test_the_first_fit_baseline_keeps_the_rules_and_the_solver_never_does_worse(seed):
    inst = random_instance(random.Random(seed))
    base = sv.first_fit(inst)
    validate(inst, base)
    plan = sv.solve(inst, time_limit=10, seed=seed, deterministic_time=5)
    assert plan.objective >= base.objective


@pytest.mark.parametrize("seed", range(6))
def test_the_pooled_first_fit_keeps_the_rules(seed):
    inst = random_instance(random.Random(seed))
    validate(inst, sv.first_fit(inst, pool=True))


def test_the_pooled_first_fit_opens_a_session_for_small_needs_together():
    # Two needs of one person each cannot open a session alone (at least 2 people); pooled they do.
    inst = sv.Instance([slot(1, 1, 8, skills=(1,), capacity=4)],
                       [demand("a", 1, "municipal", "expired"), demand("b", 1, "regional", "missing")],
                       {10: {1}}, {10: {1}}, {10: {DAY: 1}}, min_fill=2, months=1)
    assert sv.first_fit(inst).sessions == []
    pooled = sv.first_fit(inst, pool=True)
    validate(inst, pooled)
    assert pooled.covered == {"a": 1, "b": 1} and pooled.sessions[0].mixed
