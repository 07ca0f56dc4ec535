"""KTC benchmark: generate (or reuse) the dataset, measure the busiest pages, run the booking rush.

    python bench/run.py                      # full dataset, SQLite and PostgreSQL, writes bench/RESULTS.md
    python bench/run.py --db sqlite --size small --no-write
    python bench/run.py --only booking       # the booking rush beside the floor only (PostgreSQL, a few minutes)

See bench/README.md.
"""
import argparse
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import measure  # noqa: E402
from bench.generate import Plan, generate  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECRET = "bench-secret-key-not-for-production"
# Reuse a generated dataset for this many days (sessions are placed around the day of generation).
REUSE_DAYS = 7
LIMITS_MS = {"network": 300, "staff_search": 100, "staff_search_unit": 100}
DEFAULT_LIMIT_MS = 150


def app_for(url):
    from ktc import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        # The in-process client posts without a CSRF token; the rush below goes through CSRF for real.
        "WTF_CSRF_ENABLED": False,
        "SQLITE_IMMEDIATE_OUTSIDE_REQUESTS": False,
        "KTC_BASE_URL": "https://ktc.bench.example",
    })


def plan_for(size):
    return Plan.full() if size == "full" else Plan.scaled(0.05)


def _upgrade(url):
    """Migrate the database at `url` to the code's head; the app for it."""
    from flask_migrate import upgrade

    from ktc.extensions import db

    app = app_for(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def prepare(db_kind, size, pg_server, regenerate):
    """The database URL and the generated ids, generating the dataset when it is missing or stale."""
    DATA.mkdir(parents=True, exist_ok=True)
    sidecar = DATA / f"{db_kind}-{size}.json"
    if db_kind == "sqlite":
        path = DATA / f"ktc-{size}.sqlite"
        url = f"sqlite:///{path}"
    else:
        url = recreate_or_keep_pg(pg_server, f"ktc_bench_{size}", sidecar, regenerate)
        path = None
    meta = json.loads(sidecar.read_text()) if sidecar.exists() else None
    fresh = (meta and not regenerate and meta.get("url") == url
             and (date.today() - date.fromisoformat(meta["generated_on"])).days < REUSE_DAYS
             and (path is None or path.exists()))
    if fresh:
        print(f"[{db_kind}] reusing the {size} dataset generated on {meta['generated_on']}")
        # Migrations added since it was generated are applied (an index changed, say), so that the
        # figures are those of the schema in the code.
        _upgrade(url)
        return url, meta
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    elif meta is not None or regenerate:
        url = recreate_or_keep_pg(pg_server, f"ktc_bench_{size}", sidecar, True)
    app = _upgrade(url)
    from ktc.extensions import db

    with app.app_context():
        print(f"[{db_kind}] generating the {size} dataset …", flush=True)
        started = time.perf_counter()
        generated = generate(plan_for(size))
        seconds = time.perf_counter() - started
        db.engine.dispose()
    meta = {**generated.__dict__, "url": url, "generated_on": date.today().isoformat(),
            "generation_seconds": round(seconds, 1), "plan": plan_for(size).as_dict()}
    sidecar.write_text(json.dumps(meta, indent=2))
    print(f"[{db_kind}] generated in {seconds:.0f} s: {generated.counts}")
    return url, meta


def recreate_or_keep_pg(server, name, sidecar, recreate):
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if recreate or not found:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
            sidecar.unlink(missing_ok=True)
    base = server.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name


def measure_pages(url, meta, reps):
    """Median and p95 server time and SQL statements for the pages people use most."""
    from sqlalchemy import func, select

    from ktc.bookings.models import Booking
    from ktc.extensions import db
    from ktc.runtime import settle_worker

    app = app_for(url)
    figures = {}
    with app.app_context():
        engine = db.engine
        targets = measure.find_targets(meta)
        manager, admin, network = targets.manager, targets.admin, targets.network
        # As gunicorn.conf.py does in every worker once the app is loaded.
        settle_worker()
        def page(key, label, user, url_, reps_=reps, **kw):
            client = measure.client_for(app)  # a cookie jar of its own per user
            if user is not None:
                measure.login(client, user)
            figures[key] = measure.measure(client, engine, label, "GET", url_, reps_, **kw)
            print(f"  {label:<44} median {figures[key].median:7.1f} ms  p95 {figures[key].p95:7.1f} ms"
                  f"  {figures[key].query_count:3d} queries", flush=True)

        page("week", "Planner grid, all stations", admin, f"/sessions/week?centre={targets.centre_id}&week={targets.week}")
        page("week_station", "Planner grid, one station", admin,
             f"/sessions/week?centre={targets.centre_id}&station={targets.station_id}&week={targets.week}")
        page("dashboard", "Admin dashboard (home page)", admin, "/")
        page("team", "Team booking page (300 staff)", manager, f"/bookings/team?session={targets.team_session_id}")
        page("matrix", "Skill matrix of that unit", manager, f"/records/matrix?unit={targets.unit_id}")
        page("team_bookings", "Team bookings of that manager (all)", manager, "/bookings/team/bookings?view=all")
        # The staff pickers' search over every person in the county (admin) and in one unit (manager).
        page("staff_search", "Staff search (admin, whole county)", admin, "/organisations/staff/search?q=and")
        page("staff_search_unit", "Staff search (manager, own units)", manager, "/organisations/staff/search?q=a")
        page("network", "Network view over a year", network,
             f"/network/?date_from={targets.date_from}&date_to={targets.date_to}")
        page("participant_feed", "Participant feed", None, f"/calendar/feed/{targets.participant_feed_token}.ics")
        feed_path = f"/calendar/feed/{targets.unit_feed_token}.ics"
        page("unit_feed", "Unit feed", None, feed_path)
        feed_figures(app, engine, targets, feed_path, reps, figures)

        # Booking: one person per request into a session with seats, as the team page posts it.
        before = measure.max_ids()
        slots = measure.booking_slots(manager, targets.unit_id, reps + 2)
        client = measure.client_for(app)
        measure.login(client, manager)
        booking = measure.Figure("Team booking POST (one person)")
        result_page = measure.Figure("Its result page (one person)")
        for i, (session_id, participant_id) in enumerate(slots):
            ms, queries, response = measure.timed(
                client, engine, "POST", "/bookings/team",
                data={"session": session_id, "participant_ids": [participant_id]})
            if response.status_code != 303:
                raise RuntimeError(f"booking answered {response.status_code}")
            # The page the browser is sent to next (Post/Redirect/Get).
            shown_ms, shown_queries, shown = measure.timed(client, engine, "GET", response.location)
            if shown.status_code != 200:
                raise RuntimeError(f"the booking's result page answered {shown.status_code}")
            if i >= 2:
                booking.times_ms.append(ms)
                booking.queries.append(queries)
                result_page.times_ms.append(shown_ms)
                result_page.queries.append(shown_queries)
        booked = db.session.execute(select(func.count()).select_from(Booking).where(
            Booking.id > before[Booking], Booking.status.in_(("confirmed", "waitlisted")))).scalar_one()
        if booked != len(slots):
            # A refusal (an overlap, say) is a shorter request than the booking this figure is about.
            raise RuntimeError(f"{len(slots)} booking requests made {booked} bookings")
        figures["booking"], figures["booking_result"] = booking, result_page
        for figure in (booking, result_page):
            print(f"  {figure.name:<44} median {figure.median:7.1f} ms  p95 {figure.p95:7.1f} ms"
                  f"  {figure.query_count:3d} queries", flush=True)
        db.session.rollback()
        measure.undo_bench_bookings(before)

        db.session.rollback()
        db.engine.dispose()
    return figures


def feed_figures(app, engine, targets, feed_path, reps, figures):
    """The unit feed built again, against icalendar alone; its 304, against bare Flask responses.

    Each ratio's two sides are interleaved request by request, so that whatever else the machine
    does weighs on both alike.
    """
    from flask import Response

    from ktc.calendar import operations
    from ktc.extensions import db

    unit_feed = db.session.get(type(targets.unit_feed), targets.unit_feed.id)
    serialise, figures["events"] = measure.bare_ical(unit_feed)
    changed = measure.Figure("Unit feed after a change")
    cold = measure.Figure("Unit feed, cold (nothing reused)")
    bare_ical = figures["bare_ical"] = measure.Figure("icalendar alone, same events")
    client = measure.client_for(app)
    # After a change the built feed is gone but unchanged events are reused: measured like the other
    # pages. Cold, nothing is reused (the first request after a restart): each cold request is
    # followed by icalendar serialising the same events alone, the baseline of the ratio.
    for _ in range(reps):
        operations.forget_built_feeds()
        ms, queries, _response = measure.timed(client, engine, "GET", feed_path)
        changed.times_ms.append(ms)
        changed.queries.append(queries)
    for _ in range(max(6, reps // 2)):
        operations.clear_caches()
        ms, queries, _response = measure.timed(client, engine, "GET", feed_path)
        cold.times_ms.append(ms)
        cold.queries.append(queries)
        started = time.perf_counter()
        serialise()
        bare_ical.times_ms.append((time.perf_counter() - started) * 1000)
    figures["unit_feed_changed"], figures["unit_feed_cold"] = changed, cold

    # The 304 against a bare Flask app, and against KTC's own floor: the same app (sessions, login,
    # locale, security headers) answering a route that does nothing.
    floor_app = app_for(app.config["SQLALCHEMY_DATABASE_URI"])
    floor_app.add_url_rule("/bench-floor", "bench_floor", lambda: Response("ok", content_type="text/plain"))
    floor_client = measure.client_for(floor_app)
    bare_client = measure.bare_flask_client()
    etag = client.get(feed_path).headers["ETag"]
    answer_304 = figures["feed_304"] = measure.Figure("Unit feed, conditional request (304)")
    bare_flask = figures["bare_flask"] = measure.Figure("bare Flask response")
    floor = figures["app_floor"] = measure.Figure("KTC answering a route that does nothing")
    for i in range(reps * 5 + 10):
        ms, queries, response = measure.timed(client, engine, "GET", feed_path, headers={"If-None-Match": etag})
        if response.status_code != 304:
            raise RuntimeError(f"the conditional request answered {response.status_code}")
        floor_ms = measure.timed(floor_client, engine, "GET", "/bench-floor")[0]
        started = time.perf_counter()
        bare_client.get("/").get_data()
        bare_ms = (time.perf_counter() - started) * 1000
        if i >= 10:
            answer_304.times_ms.append(ms)
            answer_304.queries.append(queries)
            floor.times_ms.append(floor_ms)
            bare_flask.times_ms.append(bare_ms)
    for figure in (changed, cold, bare_ical, answer_304, floor, bare_flask):
        print(f"  {figure.name:<44} median {figure.median:7.1f} ms  p95 {figure.p95:7.1f} ms", flush=True)
    db.session.rollback()


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def load():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "n/a"


def pg_version(server):
    import psycopg

    with psycopg.connect(server) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=("full", "small"), default="full")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("KTC_BENCH_PG_URL"),
                        help="a PostgreSQL server URL (postgresql://user@host:port/postgres); "
                             "without it a throwaway server is started with scripts/pg.sh")
    parser.add_argument("--reps", type=int, default=30, help="timed requests per page")
    parser.add_argument("--rush", type=int, default=500, help="concurrent booking requests (PostgreSQL)")
    parser.add_argument("--no-rush", action="store_true")
    parser.add_argument("--only", choices=("booking",),
                        help="booking: only the rush (HTML form, JSON API and the yardsticks: the floor, the "
                             "guarded floor, KTC's shell) on PostgreSQL; its figures replace the rush of the last "
                             "full run in bench/RESULTS.md")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write bench/RESULTS.md")
    parser.add_argument("--prepare-only", action="store_true", help="generate (or check) the datasets and stop")
    parser.add_argument("--render-only", action="store_true",
                        help="write bench/RESULTS.md again from the last run's saved figures")
    args = parser.parse_args(argv)
    if args.render_only:
        with open(DATA / "last-results.pickle", "rb") as handle:
            results = pickle.load(handle)  # our own file, written by the previous run
        RESULTS.write_text(render(results))
        return results

    if args.only == "booking":
        args.db, args.no_rush = "postgres", False
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    pg_dir, pg_server = None, args.pg_url
    if "postgres" in kinds and not pg_server:
        pg_dir = tempfile.mkdtemp(prefix="ktc-bench-pg.")
        pg_server = subprocess.run(["bash", "scripts/pg.sh", "start", pg_dir], cwd=ROOT, check=True,
                                   capture_output=True, text=True).stdout.strip()
    results = {"machine": machine(), "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "size": args.size, "databases": {}}
    try:
        for kind in kinds:
            url, meta = prepare(kind, args.size, pg_server, args.regenerate)
            if args.prepare_only:
                continue
            entry = {"counts": meta["counts"], "generation_seconds": meta["generation_seconds"],
                     "load_before": load()}
            if kind == "postgres":
                entry["version"] = f"PostgreSQL {pg_version(pg_server)}"
            else:
                import sqlite3

                entry["version"] = f"SQLite {sqlite3.sqlite_version}"
            print(f"[{kind}] measuring ({entry['load_before']})", flush=True)
            entry["figures"] = {} if args.only else measure_pages(url, meta, args.reps)
            if kind == "postgres" and not args.no_rush:
                from bench import rush

                print(f"[{kind}] booking rush: {args.rush} concurrent requests against gunicorn "
                      f"({rush.WORKERS} {rush.WORKER_CLASS} workers), HTML form and JSON API", flush=True)
                entry["rush"] = rush.run(url, meta, args.rush, SECRET)
                for figures in entry["rush"].values():
                    print("  " + rush.summary(figures), flush=True)
                from bench.report import floor_ratios

                for label, value in floor_ratios(entry["rush"]):
                    print(f"  {label}: {value:.1f}", flush=True)
            entry["load_after"] = load()
            results["databases"][kind] = entry
    finally:
        if pg_dir:
            subprocess.run(["bash", "scripts/pg.sh", "stop", pg_dir], cwd=ROOT, check=False)
    if args.prepare_only:
        return results
    results["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if args.only:
        results = merged_booking_run(results)
    text = render(results)
    if not args.no_write:
        # Only a run that writes RESULTS.md keeps its figures for the next booking-only run to merge
        # into: a trial run (`--no-write`, say of the small dataset) must not replace the last full run's.
        with open(DATA / "last-results.pickle", "wb") as handle:
            pickle.dump(results, handle)
        RESULTS.write_text(text)
        print(f"written to {RESULTS.relative_to(ROOT)}")
    return results


def merged_booking_run(results):
    """A booking-only run's rush put in place of the last full run's (same size), so RESULTS.md keeps
    the pages; without a full run to merge into, the booking-only figures alone."""
    try:
        with open(DATA / "last-results.pickle", "rb") as handle:
            previous = pickle.load(handle)  # our own file, written by the previous run
    except OSError:
        return results
    entry = previous.get("databases", {}).get("postgres")
    if previous.get("size") != results["size"] or not entry or not entry.get("figures"):
        return results
    new = results["databases"]["postgres"]
    entry.update(rush=new["rush"], rush_load_before=new["load_before"], rush_load_after=new["load_after"],
                 rush_run=f"{results['started']} – {results['finished']}")
    return previous


PAGES = ("week", "week_station", "dashboard", "team", "matrix", "team_bookings", "staff_search", "staff_search_unit",
         "network", "participant_feed", "unit_feed", "unit_feed_changed", "unit_feed_cold",
         "feed_304", "booking", "booking_result")


def render(results):
    from bench.report import render_markdown

    return render_markdown(results, PAGES, LIMITS_MS, DEFAULT_LIMIT_MS, statistics)


if __name__ == "__main__":
    main()
