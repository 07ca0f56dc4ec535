"""Profile booking requests in-process: CPU per request, SQL statements, and where the time goes.

    python bench/booking_profile.py --db sqlite --size small            # after bench/run.py --prepare-only
    python bench/booking_profile.py --db postgres --pg-url postgresql://…/postgres --top 40

Books one person per request (the HTML team-booking POST and the JSON API, into the same kind of
sessions the rush uses: 12 seats, most people onto the waiting list), prints the median CPU and wall time and the statements per
request, then a cProfile of all of them sorted by cumulative time. What it adds is removed again.
"""
import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import measure  # noqa: E402
from bench.run import DATA, app_for, recreate_or_keep_pg  # noqa: E402


def _measure(client, engine, method, url, reps, body_for, headers=None, profiler=None):
    walls, cpus, queries, most = [], [], [], []
    for i in range(reps):
        kwargs = body_for(i)
        with measure.counting_statements(engine) as seen:
            if profiler is not None and i >= 2:  # the first requests compile templates and statements
                profiler.enable()
            cpu, wall = time.process_time(), time.perf_counter()
            response = client.open(url(i), method=method, headers=headers, **kwargs)
            response.get_data()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if profiler is not None and i >= 2:
                profiler.disable()
        if response.status_code not in (200, 201, 303):
            raise RuntimeError(f"{method} {url(i)} answered {response.status_code}: {response.get_data(True)[:300]}")
        if i >= 2:
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
            queries.append(len(seen))
            if len(seen) > len(most):
                most = list(seen)
    return statistics.median(walls), statistics.median(cpus), max(queries), most


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=("full", "small"), default="small")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--top", type=int, default=0, help="print the cProfile's top N functions")
    parser.add_argument("--kind", choices=("both", "html", "api"), default="both",
                        help="profile only this kind of request (both are still measured)")
    parser.add_argument("--dump", help="write the cProfile stats to this file")
    parser.add_argument("--sql", action="store_true", help="print the statements of the busiest request of each kind")
    parser.add_argument("--floor", action="store_true",
                        help="PostgreSQL: also book through bench/floor.py in this process, alternating with the API")
    args = parser.parse_args(argv)

    if args.db == "sqlite":
        url = f"sqlite:///{DATA / f'ktc-{args.size}.sqlite'}"
    else:
        url = recreate_or_keep_pg(args.pg_url, f"ktc_bench_{args.size}", DATA / f"postgres-{args.size}.json", False)
    app = app_for(url)
    if args.floor:
        from bench.shell import add_shell

        add_shell(app)
    from bench import rush
    from ktc.extensions import db
    from ktc.runtime import settle_worker

    # The rush's own setting: sessions of 12 seats, one person per request, most onto the waiting list.
    with app.app_context():
        before = measure.max_ids()
    rush_ids, participants, manager_id, auth = rush._setup(app, (5 if args.floor else 2) * args.reps, weeks_ahead=4)
    slots = [(rush_ids[i % len(rush_ids)], pid) for i, pid in enumerate(participants)]
    if args.floor:
        if args.db != "postgres":
            parser.error("--floor needs --db postgres")
        return _against_floor(app, url, rush_ids, participants, manager_id, auth, before,
                              count_calls=bool(args.top or args.dump), dump=args.dump)
    html_slots, api_slots = slots[0::2], slots[1::2]
    profiler = cProfile.Profile(time.process_time) if args.top else None  # CPU, not waits on the database
    try:
        with app.app_context():
            engine = db.engine
            manager = db.session.get(measure.User, manager_id)
            settle_worker()
            client = measure.client_for(app)
            measure.login(client, manager)
            html = _measure(client, engine, "POST", lambda i: "/bookings/team", len(html_slots),
                            lambda i: {"data": {"session": html_slots[i][0], "participant_ids": [html_slots[i][1]]}},
                            profiler=profiler if args.kind != "api" else None)
            api_client = measure.client_for(app)
            api = _measure(api_client, engine, "POST", lambda i: f"/api/v1/sessions/{api_slots[i][0]}/bookings",
                           len(api_slots), lambda i: {"json": {"participant_ids": [api_slots[i][1]]}},
                           headers={"Authorization": f"Bearer {auth['api']}"},
                           profiler=profiler if args.kind != "html" else None)
            for name, (wall, cpu, queries, seen) in (("HTML POST /bookings/team", html),
                                                     ("JSON POST /api/v1/sessions/<id>/bookings", api)):
                print(f"{name:<44} median wall {wall:6.1f} ms  cpu {cpu:6.1f} ms  {queries} statements")
                if args.sql:
                    for statement in seen:
                        print("    " + " ".join(statement.split())[:int(__import__("os").environ.get("SQLW", 160))])
            db.session.rollback()
            db.engine.dispose()
    finally:
        rush._clean_up(app, before, rush_ids, manager_id)
    if profiler is not None and args.dump:
        profiler.dump_stats(args.dump)
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


def _against_floor(app, url, rush_ids, participants, manager_id, auth, before, count_calls=False, dump=None):
    """KTC's booking API and the floor, one request each in turn, same kind of sessions: CPU per request."""
    from bench import floor, rush
    from bench.floor import booking_url
    from ktc.extensions import db
    from ktc.runtime import settle_worker

    try:
        with app.app_context():
            floor.create_outbox(db.engine)
            db.session.commit()
        floor_app = floor.create_app(url)
        headers = {"Authorization": f"Bearer {auth['api']}"}
        cpu = {"floor": [], "guarded": [], "shell": [], "api": [], "html": []}
        profiler = {k: cProfile.Profile(time.process_time) for k in cpu} if count_calls else None
        # The page the form sends to (Post/Redirect/Get), asked right after each form booking as a
        # browser asks it: not a booking, but what a booking through the form costs in all.
        page = []
        if profiler is not None:
            profiler["page"] = cProfile.Profile(time.process_time)
        with app.app_context():
            settle_worker()
            api_client, floor_client, html_client = measure.client_for(app), floor_app.test_client(), measure.client_for(app)
            measure.login(html_client, db.session.get(measure.User, manager_id))
            db.session.rollback()
            kinds = list(cpu)
            for i, pid in enumerate(participants):
                name = kinds[i % len(kinds)]
                session_id = rush_ids[(i // len(kinds)) % len(rush_ids)]
                started = time.process_time()
                if profiler is not None and i >= 2 * len(kinds):
                    profiler[name].enable()
                if name == "html":
                    response = html_client.post("/bookings/team", data={"session": session_id, "participant_ids": [pid]})
                else:
                    response = (floor_client if name in rush.FLOOR_KINDS else api_client).post(
                        booking_url(rush.BOOKING_PATHS[name], session_id), headers=headers,
                        json={"participant_ids": [pid]})
                response.get_data()
                if profiler is not None and i >= 2 * len(kinds):
                    profiler[name].disable()
                spent = time.process_time() - started
                # Every request books its person (a refusal would measure less work): the JSON kinds say
                # so with 201, the form by sending to its result page.
                if response.status_code != (303 if name == "html" else 201):
                    raise RuntimeError(f"{name} answered {response.status_code}: {response.get_data(True)[:300]}")
                if i >= 2 * len(kinds):
                    cpu[name].append(spent * 1000)
                if name == "html":
                    started = time.process_time()
                    if profiler is not None and i >= 2 * len(kinds):
                        profiler["page"].enable()
                    shown = html_client.get(response.location)
                    shown.get_data()
                    if profiler is not None and i >= 2 * len(kinds):
                        profiler["page"].disable()
                    spent = time.process_time() - started
                    if shown.status_code != 200:
                        raise RuntimeError(f"the result page answered {shown.status_code}")
                    if i >= 2 * len(kinds):
                        page.append(spent * 1000)
        f, g, sh, a, h = (statistics.median(cpu[k]) for k in ("floor", "guarded", "shell", "api", "html"))
        print(f"in-process CPU per booking (worker side only), medians: floor {f:.2f} ms, "
              f"guarded floor {g:.2f} ms (÷ floor {g / f:.2f}), "
              f"KTC's shell around the guarded statements {sh:.2f} ms (÷ floor {sh / f:.2f}), "
              f"API {a:.2f} ms (÷ floor {a / f:.2f}, ÷ guarded {a / g:.2f}), "
              f"HTML form {h:.2f} ms (÷ floor {h / f:.2f}, ÷ guarded {h / g:.2f}); "
              f"the form's result page {statistics.median(page):.2f} ms (÷ floor {statistics.median(page) / f:.2f}), "
              f"form and page together ÷ floor {(h + statistics.median(page)) / f:.2f}")
        if profiler is not None:
            # Python function calls per request: a figure the machine's load does not move.
            calls = {k: pstats.Stats(p).total_calls / len(cpu.get(k, page)) for k, p in profiler.items()}
            print(f"Python function calls per request (cProfile): floor {calls['floor']:.0f}, "
                  f"guarded floor {calls['guarded']:.0f}, shell {calls['shell']:.0f}, "
                  f"API {calls['api']:.0f} (÷ floor {calls['api'] / calls['floor']:.2f}), "
                  f"HTML form {calls['html']:.0f} (÷ floor {calls['html'] / calls['floor']:.2f}), "
                  f"its result page {calls['page']:.0f}")
            if dump:
                for k, p in profiler.items():
                    p.dump_stats(f"{dump}.{k}")  # one file per kind: <dump>.floor, <dump>.guarded, …
        with app.app_context():
            db.engine.dispose()
        floor_app.extensions["floor_engine"].dispose()
    finally:
        rush._clean_up(app, before, rush_ids, manager_id)


if __name__ == "__main__":
    main()
