"""The planning model: which sessions to hold so that the most (weighted) need is covered.

Pure: it takes plain data (`Instance`) and returns plain data (`Plan`); building the instance from
the database and creating the sessions live in `ktc.planning.proposals`. Solved with OR-Tools
CP-SAT under a time limit; with a deterministic-time limit and one worker the answer is the same
for the same instance and seed.

The model, in words:
- A *slot* is a possible session: one station, one start and end inside the opening hours, not on a
  closed day and clear of existing sessions (with the changeover) — slots of one station never
  overlap each other (they are laid out one after the other with the changeover between them).
- A slot is used for at most one of its station's skills (`run`), with exactly one instructor who
  is qualified for that skill, available then, in no other session at the same time, and within
  their most sessions per day.
- Seats of a used slot go to sides: at most the capacity, at least `min_fill` people.
- Mixing rule: when a session gets people from both sides it is *mixed* and holds `min_per_side`
  seats for each side (so each side gets at most capacity − min_per_side); otherwise it is
  single-sided and marked so.
- Demand is grouped by skill, side, urgency and due month. Every planned seat is one person's
  need. Seats in sessions up to the end of a month can cover needs due by that month (earlier
  seats serve later needs, never the other way round): for each skill, side and month, the need
  covered with that due month or earlier is at most the seats planned up to its end (with the
  totals equal, this is exactly when seats can be handed to people in time).
- Objective: the sum of covered people × weight; the weight puts expired before expiring before
  missing, and within one urgency older (earlier-due) needs first. One point less per session
  keeps sessions that cover nothing out of the plan.
"""
import time as clock
from dataclasses import dataclass, field
from datetime import datetime

from ortools.sat.python import cp_model

SIDES = ("municipal", "regional")
# A seat for an expired skill outweighs any seat for an expiring one, and so on; within one
# urgency the earlier due month gets up to MONTH_BONUS - 1 points more.
MONTH_BONUS = 12
URGENCY_BASE = {"expired": 100 * MONTH_BONUS, "expiring": 10 * MONTH_BONUS, "missing": MONTH_BONUS}

# Models with more skill choices than this are solved without presolve (see solve()).
PRESOLVE_UP_TO = 5000

NO_STATION = "no_station"
NO_INSTRUCTOR = "no_instructor"
TOO_FEW = "too_few_people"
NO_CAPACITY = "no_capacity"


@dataclass(frozen=True)
class Slot:
    id: int
    station_id: int
    start: datetime
    end: datetime
    day: object  # the local date: the per-day instructor limit counts by it
    month: int  # index of the month in the horizon (0 = first month)
    capacity: int
    min_per_side: int
    skills: tuple  # skill ids the station teaches


@dataclass(frozen=True)
class Demand:
    """People of one side needing one skill by one month (index; overdue needs are month 0)."""

    key: object  # the caller's id for this demand (for example a need id)
    skill_id: int
    side: str
    month: int
    urgency: str
    people: int


@dataclass
class Instance:
    slots: list
    demands: list
    # instructor id -> set of skill ids they may lead
    qualified: dict
    # instructor id -> set of slot ids they are free for (availability, absences, existing sessions)
    free_slots: dict
    # instructor id -> {day: how many more sessions they may lead that day}
    day_room: dict
    min_fill: int = 3
    months: int = 2


@dataclass
class Session:
    slot: Slot
    skill_id: int
    instructor_id: int
    seats: dict  # side -> seats planned for that side's need
    mixed: bool
    min_per_side: int


@dataclass
class Plan:
    sessions: list
    covered: dict  # demand key -> people covered
    objective: int  # weighted need covered
    model_objective: float  # what the solver maximised: weighted need covered minus sessions
    bound: float  # the solver's upper bound on model_objective
    status: str
    wall_time: float
    reasons: dict = field(default_factory=dict)  # demand key -> reason it is not (fully) covered


def weight(demand):
    return URGENCY_BASE[demand.urgency] + max(0, MONTH_BONUS - 1 - demand.month)


def _overlaps(a, b):
    return a.start < b.end and b.start < a.end


def solve(instance, time_limit=10.0, seed=0, workers=1, deterministic_time=None, hint=True, **parameters):
    """The plan that covers the most weighted need, as found within the limits. `time_limit` counts
    the building of the model too (at county scale that is a few seconds): it is what the
    coordinator waits; extra keyword arguments are CP-SAT parameters."""
    began = clock.perf_counter()
    model = cp_model.CpModel()
    slots = instance.slots
    skills_needed = {d.skill_id for d in instance.demands}
    # Skill choice per slot, only for skills somebody needs and someone could lead there.
    leaders = {}
    for i, free in instance.free_slots.items():
        for slot_id in free:
            leaders.setdefault(slot_id, set()).update(instance.qualified.get(i, ()))
    x = {}
    for slot in slots:
        for skill_id in slot.skills:
            if skill_id not in skills_needed or skill_id not in leaders.get(slot.id, ()):
                continue
            x[slot.id, skill_id] = model.new_bool_var(f"x{slot.id}_{skill_id}")
    by_slot = {}
    for (slot_id, skill_id), var in x.items():
        by_slot.setdefault(slot_id, []).append((skill_id, var))
    slot_of = {s.id: s for s in slots}
    run = {}
    for slot_id, choices in by_slot.items():
        run[slot_id] = model.new_bool_var(f"run{slot_id}")
        model.add(sum(v for _, v in choices) == run[slot_id])

    # Instructors: exactly one qualified, free instructor per session.
    y = {}
    y_by_slot = {}
    for instructor, free in instance.free_slots.items():
        qualified = instance.qualified.get(instructor, set())
        for slot_id in free:
            choices = [v for k, v in by_slot.get(slot_id, ()) if k in qualified]
            if not choices:
                continue
            var = model.new_bool_var(f"y{slot_id}_{instructor}")
            model.add(var <= sum(choices))
            y[slot_id, instructor] = var
            y_by_slot.setdefault(slot_id, []).append((instructor, var))
    for slot_id in run:
        lead = y_by_slot.get(slot_id, [])
        model.add(sum(v for _, v in lead) == run[slot_id])
        # The instructor must be qualified for the skill chosen, not only for one of the station's.
        for skill_id, var in by_slot[slot_id]:
            fit = [v for i, v in lead if skill_id in instance.qualified.get(i, ())]
            model.add(sum(fit) >= var)
    per_instructor = {}
    for (slot_id, instructor), var in y.items():
        per_instructor.setdefault(instructor, []).append((slot_of[slot_id], var))
    for instructor, items in per_instructor.items():
        days = {}
        for slot, var in items:
            days.setdefault(slot.day, []).append((slot, var))
        # Never two sessions at once: at every slot start, at most one of the slots covering it.
        for day_items in days.values():
            for moment in sorted({slot.start for slot, _ in day_items}):
                covering = [v for slot, v in day_items if slot.start <= moment < slot.end]
                if len(covering) > 1:
                    model.add_at_most_one(covering)
        days = {day: [v for _, v in day_items] for day, day_items in days.items()}
        room = instance.day_room.get(instructor, {})
        for day, vars_ in days.items():
            limit = room.get(day, 0)
            if len(vars_) > limit:
                model.add(sum(vars_) <= limit)

    # Seats per slot, skill and side; the mixing rule.
    seats = {}
    mixed = {}
    has_side = {}
    for slot_id, choices in by_slot.items():
        slot = slot_of[slot_id]
        side_total = {}
        for side in SIDES:
            side_vars = []
            for skill_id, var in choices:
                seat = model.new_int_var(0, slot.capacity, f"s{slot_id}_{skill_id}_{side}")
                model.add(seat <= slot.capacity * var)
                seats[slot_id, skill_id, side] = seat
                side_vars.append(seat)
            side_total[side] = sum(side_vars)
        total = side_total["municipal"] + side_total["regional"]
        model.add(total <= slot.capacity * run[slot_id])
        model.add(total >= instance.min_fill * run[slot_id])
        has = {}
        for side in SIDES:
            has[side] = model.new_bool_var(f"has{slot_id}_{side}")
            model.add(side_total[side] <= slot.capacity * has[side])
            model.add(side_total[side] >= has[side])
            has_side[slot_id, side] = has[side]
        both = model.new_bool_var(f"mixed{slot_id}")
        model.add_min_equality(both, [has["municipal"], has["regional"]])
        mixed[slot_id] = both
        hold = min(slot.min_per_side, slot.capacity // 2)
        for side in SIDES:
            model.add(side_total[side] <= slot.capacity - hold * both)

    # Demand covered, with due months: cumulative seats up to each month's end.
    covered = {}
    groups = {}
    for demand in instance.demands:
        covered[demand.key] = model.new_int_var(0, demand.people, f"c{demand.key}")
        groups.setdefault((demand.skill_id, demand.side), []).append(demand)
    supplies = {}
    for (s, k, sd), var in seats.items():
        supplies.setdefault((k, sd), []).append((slot_of[s].month, var))
    for (skill_id, side), demands in groups.items():
        supply = supplies.get((skill_id, side), [])
        for month in range(instance.months):
            due = [covered[d.key] for d in demands if d.month <= month]
            if not due:
                continue
            model.add(sum(due) <= sum(v for m, v in supply if m <= month))
        # Every planned seat is a person's need: no seats for nobody (so min_fill counts real people).
        model.add(sum(covered[d.key] for d in demands) == sum(v for _, v in supply))
    for (slot_id, skill_id, side), var in seats.items():
        if (skill_id, side) not in groups:
            model.add(var == 0)

    model.maximize(sum(weight(d) * covered[d.key] for d in instance.demands) - sum(run.values()))
    if hint:
        # Start from the better first-fit plan (the baseline, or the pooled one): the search begins
        # there and improves on it.
        start = max((first_fit(instance), first_fit(instance, pool=True)), key=lambda p: p.objective)
        chosen = {(p.slot.id, p.skill_id): p for p in start.sessions}
        for (slot_id, skill_id), var in x.items():
            model.add_hint(var, (slot_id, skill_id) in chosen)
        for slot_id, var in run.items():
            model.add_hint(var, any((slot_id, k) in chosen for k, _ in by_slot[slot_id]))
        leader = {p.slot.id: p.instructor_id for p in start.sessions}
        for (slot_id, instructor), var in y.items():
            model.add_hint(var, leader.get(slot_id) == instructor)
        for (slot_id, skill_id, side), var in seats.items():
            picked = chosen.get((slot_id, skill_id))
            model.add_hint(var, picked.seats[side] if picked else 0)
        for key, var in covered.items():
            model.add_hint(var, start.covered[key])
        # A complete hint: with the sides and the mixing hinted too the solver starts from a whole
        # plan instead of having to repair a partial one (with one worker it often found none).
        by_run = {p.slot.id: p for p in start.sessions}
        for (slot_id, side), var in has_side.items():
            picked = by_run.get(slot_id)
            model.add_hint(var, bool(picked and picked.seats[side] > 0))
        for slot_id, var in mixed.items():
            picked = by_run.get(slot_id)
            model.add_hint(var, bool(picked and picked.mixed))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, time_limit - (clock.perf_counter() - began))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    # At county scale presolve alone outlasts the time limit on a busy 2-core machine ("stopped after
    # presolve", no plan at all); without it the search starts from the first-fit hint at once.
    solver.parameters.cp_model_presolve = len(x) <= PRESOLVE_UP_TO
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = deterministic_time
    for name, value in parameters.items():
        setattr(solver.parameters, name, value)
    status = solver.solve(model)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Plan([], {d.key: 0 for d in instance.demands}, 0, 0.0, 0.0, name, solver.wall_time,
                    reasons=explain(instance, {}))
    sessions = []
    for slot_id, choices in by_slot.items():
        if not solver.value(run[slot_id]):
            continue
        skill_id = next(k for k, v in choices if solver.value(v))
        # From the slot's own instructors: scanning every (slot, instructor) pair per session took
        # seconds at county scale.
        instructor = next(i for i, v in y_by_slot[slot_id] if solver.value(v))
        plan_seats = {side: solver.value(seats[slot_id, skill_id, side]) for side in SIDES}
        is_mixed = bool(solver.value(mixed[slot_id]))
        slot = slot_of[slot_id]
        sessions.append(Session(slot, skill_id, instructor, plan_seats, is_mixed,
                                min(slot.min_per_side, slot.capacity // 2) if is_mixed else 0))
    sessions.sort(key=lambda s: (s.slot.start, s.slot.station_id))
    got = {d.key: solver.value(covered[d.key]) for d in instance.demands}
    objective = sum(weight(d) * got[d.key] for d in instance.demands)
    return Plan(sessions, got, objective, solver.objective_value, solver.best_objective_bound, name, solver.wall_time,
                reasons=explain(instance, got))


def explain(instance, got):
    """Why each demand is not (fully) covered, in the coordinator's terms."""
    taught = {k for slot in instance.slots for k in slot.skills}
    led = {k for i, skills in instance.qualified.items() if instance.free_slots.get(i) for k in skills}
    per_skill = {}
    for demand in instance.demands:
        per_skill[demand.skill_id] = per_skill.get(demand.skill_id, 0) + demand.people
    reasons = {}
    for demand in instance.demands:
        if got.get(demand.key, 0) >= demand.people:
            continue
        if demand.skill_id not in taught:
            reasons[demand.key] = NO_STATION
        elif demand.skill_id not in led:
            reasons[demand.key] = NO_INSTRUCTOR
        elif per_skill[demand.skill_id] < instance.min_fill:
            reasons[demand.key] = TOO_FEW
        else:
            reasons[demand.key] = NO_CAPACITY
    return reasons


def first_fit(inst, pool=False):
    """First fit by urgency under the same hard constraints: the baseline the solver must beat, and
    its starting point (a hint). With `pool`, a demand too small to fill a session alone still opens
    one when other open demands for the skill (due then or later) fill it at once: a better start
    for the search, not the baseline."""
    slots = sorted(inst.slots, key=lambda s: (s.start, s.station_id))
    busy = {}  # instructor -> [(start, end)]
    per_day = {}
    used = set()
    sessions = []
    covered = {d.key: 0 for d in inst.demands}
    order = sorted(inst.demands, key=lambda d: (-weight(d), d.month))

    def room(session, side):
        cap = session.slot.capacity
        other = "regional" if side == "municipal" else "municipal"
        free = cap - sum(session.seats.values())
        if session.seats[other] > 0:
            # Joining makes the session mixed: both sides must then fit capacity minus the seats held.
            hold = min(session.slot.min_per_side, cap // 2)
            if session.seats[other] > cap - hold:
                return 0
            free = min(free, cap - hold - session.seats[side])
        return max(0, free)

    remaining = {}
    for demand in inst.demands:
        remaining[demand.skill_id] = remaining.get(demand.skill_id, 0) + demand.people

    placed = {}  # id(session) -> [(demand key, side, amount)], to undo a pooled session that stays too small

    def place(demand, amount, session):
        session.seats[demand.side] += amount
        covered[demand.key] += amount
        remaining[demand.skill_id] -= amount
        placed.setdefault(id(session), []).append((demand.key, demand.side, amount))
        session.mixed = all(session.seats[s] > 0 for s in SIDES)
        session.min_per_side = min(session.slot.min_per_side, session.slot.capacity // 2) if session.mixed else 0

    def _fill(session, opener):
        for other in order:
            if sum(session.seats.values()) >= inst.min_fill:
                return
            if other is opener or other.skill_id != session.skill_id or other.month < session.slot.month:
                continue
            amount = min(other.people - covered[other.key], room(session, other.side))
            if amount > 0:
                place(other, amount, session)

    for pass_ in (1, 2):
        for demand in order:
            left = demand.people - covered[demand.key]
            for session in sessions:
                if left <= 0:
                    break
                if session.skill_id == demand.skill_id and session.slot.month <= demand.month:
                    amount = min(left, room(session, demand.side))
                    if amount:
                        place(demand, amount, session)
                        left -= amount
            if pass_ == 2 or left <= 0 or (left < inst.min_fill and not (
                    pool and remaining[demand.skill_id] >= inst.min_fill)):
                continue
            for slot in slots:
                if slot.id in used or demand.skill_id not in slot.skills or slot.month > demand.month:
                    continue
                lead = next((i for i, skills in inst.qualified.items()
                             if demand.skill_id in skills and slot.id in inst.free_slots.get(i, ())
                             and per_day.get((i, slot.day), 0) < inst.day_room[i].get(slot.day, 0)
                             and not any(slot.start < e and s < slot.end for s, e in busy.get(i, ()))), None)
                if lead is None:
                    continue
                session = Session(slot, demand.skill_id, lead, {"municipal": 0, "regional": 0}, False, 0)
                sessions.append(session)
                used.add(slot.id)
                busy.setdefault(lead, []).append((slot.start, slot.end))
                per_day[lead, slot.day] = per_day.get((lead, slot.day), 0) + 1
                place(demand, min(left, room(session, demand.side)), session)
                if pool and sum(session.seats.values()) < inst.min_fill:
                    _fill(session, demand)
                    if sum(session.seats.values()) < inst.min_fill:
                        # Too few after all: give the seats back and the slot and instructor free.
                        for key, side, amount in placed.pop(id(session)):
                            covered[key] -= amount
                            remaining[session.skill_id] += amount
                        sessions.pop()
                        used.discard(slot.id)
                        busy[lead].pop()
                        per_day[lead, slot.day] -= 1
                break
    objective = sum(weight(d) * covered[d.key] for d in inst.demands)
    return Plan(sessions, covered, objective, objective, objective, "FIRST_FIT", 0.0)
