"""The planning model at county scale, against a greedy baseline and the solver's own bound.

    python bench/plan.py [--seed 1] [--time-limit 25] [--workers 2]

300 units' needs (about 3,000, over 80 skills), 30 stations at 3 centres, 40 instructors, 8 weeks.
The instance is generated directly (no database): what is measured is the model. The greedy
baseline keeps the same constraints (first fit by urgency: the most urgent demand first, into
an open session of its skill, else the earliest free slot with a free qualified instructor); every
plan is checked by the validator of tests/planning/test_solver.py.
"""
import argparse
import random
import sys
import time as clock
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ktc.planning import solver as sv  # noqa: E402
from tests.planning.test_solver import validate  # noqa: E402

START = date(2027, 3, 1)


def county(seed=1, weeks=8):
    rng = random.Random(seed)
    skills = list(range(1, 81))
    slots = []
    for station in range(1, 31):
        taught = tuple(rng.sample(skills, rng.randint(3, 5)))
        capacity = rng.choice((6, 8, 10))
        for d in range(weeks * 7):
            day = START + timedelta(days=d)
            if day.weekday() >= 5:
                continue
            for hour, minute in ((8, 0), (10, 15), (13, 0), (15, 15)):
                start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)
                slots.append(sv.Slot(len(slots) + 1, station, start, start + timedelta(hours=2), day,
                                     (day.year - START.year) * 12 + day.month - START.month, capacity, 2, taught))
    months = max(s.month for s in slots) + 1
    qualified = {100 + i: set(rng.sample(skills, 12)) for i in range(40)}
    free = {}
    for instructor in qualified:
        workdays = set(rng.sample(range(5), 3))
        free[instructor] = {s.id for s in slots if s.day.weekday() in workdays and rng.random() < 0.8}
    day_room = {i: {s.day: 2 for s in slots} for i in qualified}
    demands = []
    for unit in range(300):
        side = "municipal" if unit < 200 else "regional"
        for _ in range(10):
            demands.append(sv.Demand(f"u{unit}n{len(demands)}", rng.choice(skills), side, rng.randint(0, months - 1),
                                     rng.choices(("expired", "expiring", "missing"), (2, 3, 5))[0], rng.randint(1, 4)))
    return sv.Instance(slots, demands, qualified, free, day_room, min_fill=3, months=months)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=25.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="also solve without the first-fit hint")
    args = parser.parse_args()
    inst = county(args.seed)
    total = sum(sv.weight(d) * d.people for d in inst.demands)
    print(f"instance: {len(inst.slots)} slots, {len(inst.demands)} demands, "
          f"{sum(d.people for d in inst.demands)} people, weighted need {total}")
    began = clock.perf_counter()
    base = sv.first_fit(inst)
    greedy_s = clock.perf_counter() - began
    validate(inst, base)
    began = clock.perf_counter()
    plan = sv.solve(inst, time_limit=args.time_limit, seed=args.seed, workers=args.workers)
    cold = None
    if args.cold:
        cold = sv.solve(inst, time_limit=args.time_limit, seed=args.seed, workers=args.workers, hint=False)
    solve_s = clock.perf_counter() - began
    validate(inst, plan)
    print(f"greedy: weighted {base.objective} ({100 * base.objective / total:.1f} %), "
          f"{len(base.sessions)} sessions, {greedy_s:.1f} s")
    print(f"CP-SAT: weighted {plan.objective} ({100 * plan.objective / total:.1f} %), "
          f"{len(plan.sessions)} sessions, status {plan.status}, {solve_s:.1f} s incl. model building; "
          f"model objective {plan.model_objective:.0f}, bound {plan.bound:.0f} "
          f"(gap {100 * (plan.bound - plan.model_objective) / max(1, plan.bound):.1f} %)")
    if cold is not None:
        print(f"CP-SAT without the hint: weighted {cold.objective}, status {cold.status}")


if __name__ == "__main__":
    main()
