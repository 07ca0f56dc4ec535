"""One page of the bench, in-process: its server time, its statements (the slowest first) and a cProfile.

    python bench/run.py --db sqlite --prepare-only          # the dataset, once
    python bench/profile_page.py dashboard                  # median/p95 and statement count
    python bench/profile_page.py week --sql 10              # and the 10 slowest statements
    python bench/profile_page.py team_bookings --cprofile 25
    python bench/profile_page.py matrix --url sqlite:////tmp/copy.sqlite   # another copy of the dataset

Pages: the keys of PAGES below (the same URLs and users as bench/run.py).
"""
import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench import measure  # noqa: E402
from bench.run import DATA, app_for  # noqa: E402

PAGES = {
    "week": ("admin", "/sessions/week?centre={t.centre_id}&week={t.week}"),
    "week_station": ("admin", "/sessions/week?centre={t.centre_id}&station={t.station_id}&week={t.week}"),
    "dashboard": ("admin", "/"),
    "team": ("manager", "/bookings/team?session={t.team_session_id}"),
    "matrix": ("manager", "/records/matrix?unit={t.unit_id}"),
    "team_bookings": ("manager", "/bookings/team/bookings?view=all"),
    "staff_search": ("admin", "/organisations/staff/search?q=and"),
    "staff_search_unit": ("manager", "/organisations/staff/search?q=a"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("page", choices=sorted(PAGES))
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--size", choices=("full", "small"), default="full")
    parser.add_argument("--url", help="the dataset's database URL (default: the one in the dataset's JSON note)")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--sql", type=int, default=0, help="print this many statements, slowest first")
    parser.add_argument("--cprofile", type=int, default=0, help="print this many functions by cumulative time")
    args = parser.parse_args(argv)
    meta = json.loads((DATA / f"{args.db}-{args.size}.json").read_text())
    app = app_for(args.url or meta["url"])

    from ktc.extensions import db
    from ktc.runtime import settle_worker

    with app.app_context():
        targets = measure.find_targets(meta)
        settle_worker()
        role, url = PAGES[args.page]
        url = url.format(t=targets)
        client = measure.client_for(app)
        measure.login(client, getattr(targets, role))
        figure = measure.measure(client, db.engine, args.page, "GET", url, args.reps)
        # This process's CPU time per request as well: on a shared machine the wall time grows with
        # the others' load, the CPU time much less (SQLite runs in this process, so it counts too).
        cpu = []
        for _ in range(args.reps):
            started = time.process_time()
            client.get(url).get_data()
            cpu.append((time.process_time() - started) * 1000)
        print(f"{args.page} {url}: median {figure.median:.1f} ms, p95 {figure.p95:.1f} ms, "
              f"{figure.query_count} statements; CPU median {statistics.median(cpu):.1f} ms, "
              f"p95 {measure.percentile(cpu, 95):.1f} ms")
        if args.sql:
            timings = []

            def _before(conn, cursor, statement, parameters, context, executemany):
                conn.info["bench_started"] = time.perf_counter()

            def _after(conn, cursor, statement, parameters, context, executemany):
                timings.append(((time.perf_counter() - conn.info.pop("bench_started")) * 1000, statement))

            event.listen(db.engine, "before_cursor_execute", _before)
            event.listen(db.engine, "after_cursor_execute", _after)
            client.get(url).get_data()
            event.remove(db.engine, "before_cursor_execute", _before)
            event.remove(db.engine, "after_cursor_execute", _after)
            for ms, statement in sorted(timings, reverse=True)[:args.sql]:
                print(f"--- {ms:.1f} ms\n{' '.join(statement.split())[:600]}")
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.enable()
            client.get(url).get_data()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.cprofile)
        db.session.rollback()


if __name__ == "__main__":
    main()
