"""The booking rush: many simultaneous bookings against gunicorn and PostgreSQL, twice.

`html`: every request is a real browser request (a signed session cookie of a manager and a valid
CSRF token, one person ticked, posted to /bookings/team), followed in the same round by `page`: the
result page each of those browsers is sent to next (Post/Redirect/Get), asked by all of them at once
and measured on its own. `api`: the same through the JSON API as
an integration calls it (a personal token, POST /api/v1/sessions/<id>/bookings). `floor`: the same
API request against bench/floor.py, the least a booking can cost (SQLAlchemy Core, one transaction:
token, seat UPDATE, booking INSERT, outbox row), under its own gunicorn with the same settings, in
the same run; bench/report.py divides KTC's CPU per request and p99 by the floor's. `guarded`: the
guarded floor of the same app (`POST /guarded/sessions/<id>/bookings`), every guarantee KTC's booking
keeps in KTC's seven statements and nothing else, which tells what the guarantees cost and what the
framework does. `shell`: KTC's own request handling around the guarded floor's statements
(bench/shell.py, KTC's app with one route added, under a gunicorn of its own): what a second,
hand-written path for booking one person would cost. The sessions
have few seats, so most people must end up on the waiting list; afterwards the database must
hold exactly `capacity` seat-holding bookings per session, seat counters equal to them, and no
request may have failed with a 5xx.

The load comes from `bench/rush_client.py`, an asyncio process of its own that opens every
connection first and then releases all the requests in the same instant.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from bench.floor import PATHS as FLOOR_PATHS, booking_url
from bench.shell import SHELL_PATH

ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Europe/Stockholm")
SESSIONS = 5
CAPACITY = 12
# A floor between KTC's two kinds, so that a change in the machine's load weighs on both sides.
KINDS = ("html", "floor", "api", "guarded", "shell")
# The kinds served by bench/floor.py, not by KTC.
FLOOR_KINDS = ("floor", "guarded")
# The server of each kind: (name, gunicorn's app).
SERVERS = {"floor": ("floor", "bench.floor:app"), "guarded": ("floor", "bench.floor:app"),
           "shell": ("shell", "bench.shell:app")}
# Where each JSON kind books (the floor answers KTC's own API path).
BOOKING_PATHS = {"api": FLOOR_PATHS["floor"], **FLOOR_PATHS, "shell": SHELL_PATH}
# gunicorn for a machine that also runs PostgreSQL and the load generator: sync workers (the
# cheapest per request; a booking request waits on the database only briefly), one per core. More
# workers than cores made each booking dearer and the rush slower: on 2 cores, 5 workers cost KTC's
# API 5.2 ms of CPU a booking and a p99 of 1.35 s, 2 workers 3.8 ms and 1.10 s (bench/README.md).
WORKERS = int(os.environ.get("KTC_BENCH_WORKERS", os.cpu_count() or 2))
WORKER_CLASS = os.environ.get("KTC_BENCH_WORKER_CLASS", "sync")
THREADS = int(os.environ.get("KTC_BENCH_THREADS", 1))
# Booking requests that warm the workers before each measured rush (not counted).
WARM_REQUESTS = 10 * WORKERS
# Every kind is rushed this many times, the kinds taking turns (html, floor, api, html, …), and each
# figure is the median of its rounds: one rush of two seconds on a shared 2-core machine moved the
# floor's CPU per request by half from one run to the next. Five, not three: with three, the ratios
# to the floor moved by ±0.3 between runs of the same code (session 16: the API's 2.1 in one run,
# 2.6 in the next), one odd round deciding the median.
ROUNDS = int(os.environ.get("KTC_BENCH_ROUNDS", 5))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(app, requests_count, weeks_ahead):
    """Rush sessions far ahead at an hour nobody is booked, a manager of enough staff, a cookie, a token and an API token."""
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf

    from ktc.accounts.models import User, unit_managers
    from ktc.accounts.operations import issue_api_token
    from ktc.extensions import db
    from ktc.organisations.models import Participant
    from ktc.sessions.models import Session, session_skills
    from ktc.stations.models import Station

    with app.app_context():
        day = (datetime.now(ZONE) + timedelta(days=200)).date()
        day += timedelta(days=(6 - day.weekday()) + 7 * weeks_ahead)  # a Sunday: no generated session is on a weekend
        stations = db.session.execute(select(Station).order_by(Station.id).limit(SESSIONS)).scalars().all()
        start = datetime.combine(day, datetime.min.time().replace(hour=18), tzinfo=ZONE).astimezone(timezone.utc)
        rush_ids = []
        for station in stations:
            session = Session(station_id=station.id, title="Rusning", start_at=start, end_at=start + timedelta(hours=2),
                              capacity=CAPACITY, min_per_side=2, release_before_hours=72)
            db.session.add(session)
            db.session.flush()
            skill = station.skills[0].id
            db.session.execute(insert(session_skills), [{"session_id": session.id, "skill_id": skill}])
            rush_ids.append(session.id)
        # A manager of as many units as it takes to have one person per request.
        counts = db.session.execute(
            select(Participant.unit_id, func.count()).where(Participant.active.is_(True))
            .group_by(Participant.unit_id).order_by(Participant.unit_id)
        ).all()
        units, people = [], 0
        for unit_id, count in counts:
            units.append(unit_id)
            people += count
            if people >= requests_count:
                break
        manager = User(email=f"rusning-{time.time_ns()}@bench.example", name="Rusning Chef", role="manager")
        db.session.add(manager)
        db.session.flush()
        db.session.execute(insert(unit_managers), [{"user_id": manager.id, "unit_id": u} for u in units])
        participants = db.session.execute(
            select(Participant.id).where(Participant.unit_id.in_(units), Participant.active.is_(True))
            .order_by(Participant.id).limit(requests_count)
        ).scalars().all()
        api_token = issue_api_token(manager, "rush")
        db.session.commit()
        with app.test_request_context("/"):
            flask_session["_user_id"] = manager.get_id()
            flask_session["_fresh"] = True
            csrf_token = generate_csrf()
            cookie = app.session_interface.get_signing_serializer(app).dumps(dict(flask_session))
        return rush_ids, participants, manager.id, {"cookie": cookie, "csrf": csrf_token, "api": api_token}


def _browser_cookie(port, auth, session_id):
    """The session cookie a browser holds once it has opened the booking page: the cookie made for the
    rush (login and CSRF token) as the app sent it back, with what the app adds on a first page (the
    login's session-protection identifier, the user's language). Asked without a User-Agent, as the
    rush's requests are, from the same address: the identifier is made of the two. Without it every
    form request of the rush changed the cookie and was answered with a newly signed one, which a
    browser's later requests are not."""
    import requests

    response = requests.get(f"http://127.0.0.1:{port}/bookings/team", params={"session": session_id},
                            cookies={"session": auth["cookie"]}, headers={"User-Agent": None}, timeout=120)
    return response.cookies.get("session", auth["cookie"])


def _request_text(kind, port, session_id, participant_id, auth):
    """One raw HTTP/1.1 request, as a browser (html) or an integration (api) sends it."""
    if kind == "html":
        body = urlencode({"csrf_token": auth["csrf"], "session": session_id, "participant_ids": participant_id})
        target, headers = "/bookings/team", [f"Cookie: session={auth['cookie']}",
                                             "Content-Type: application/x-www-form-urlencoded"]
    else:
        body = json.dumps({"participant_ids": [participant_id]})
        target = booking_url(BOOKING_PATHS[kind], session_id)
        headers = [f"Authorization: Bearer {auth['api']}", "Content-Type: application/json"]
    lines = [f"POST {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", *headers, f"Content-Length: {len(body)}"]
    return "\r\n".join(lines) + "\r\n\r\n" + body


def _start_gunicorn(url, secret, port, target="wsgi:app"):
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret, "KTC_ENV": "production",
           "KTC_BASE_URL": "https://ktc.bench.example", "PYTHONPATH": str(ROOT), "BENCH_FLOOR_DATABASE_URL": url}
    env.pop("KTC_TEST_DATABASE_URL", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    # Its log goes to a file, not a pipe nobody reads while it runs: a server logging errors filled the
    # pipe, and its workers then hung writing to it (the rush waited for ever instead of failing).
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [gunicorn, "--workers", str(WORKERS), "--worker-class", WORKER_CLASS, "--threads", str(THREADS),
         "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--timeout", "120", "--log-level", "warning",
         target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError("gunicorn did not start: " + log.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start in time")


def _warm(port, auth, session_id, floor=False):
    """Every worker through imports, its connection pool and both kinds of request before the clock starts."""
    import requests

    base = f"http://127.0.0.1:{port}"
    http = requests.Session()
    for _ in range(WORKERS * 4):
        if floor:
            http.get(base + "/healthz", timeout=120)
            continue
        http.get(base + "/healthz", timeout=120)
        http.get(f"{base}/api/v1/sessions/{session_id}", headers={"Authorization": f"Bearer {auth['api']}"},
                 timeout=120)
        http.get(f"{base}/bookings/team?session={session_id}", cookies={"session": auth["cookie"]}, timeout=120)


def _requests(app, kind, port, session_ids, people, auth):
    """One booking request per person, round the sessions (the floor's outbox table made first)."""
    from bench import floor
    from ktc.extensions import db

    if kind == "floor":
        with app.app_context():
            floor.create_outbox(db.engine)
            db.engine.dispose()
    return [_request_text(kind, port, session_ids[i % len(session_ids)], pid, auth)
            for i, pid in enumerate(people)]


def _warm_bookings(app, before, port, kind, weeks_ahead):
    """A burst of the measured kind of booking into sessions of their own, removed again: every
    worker has booked before the clock starts (a worker's first booking compiles its statements and
    templates, a cost of the process, not of a booking), the floor's as KTC's."""
    ids, people, manager_id, auth = _setup(app, WARM_REQUESTS, weeks_ahead)
    try:
        _fire(port, _requests(app, kind, port, ids, people, auth))
    finally:
        _clean_up(app, before, ids, manager_id)


def _cpu_seconds(pids):
    """User + system CPU seconds used so far by each process that still exists."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    return used


def _server_pids(app, server):
    """The gunicorn workers, and the PostgreSQL backends serving this database (when the server is local)."""
    from sqlalchemy import text

    from ktc.extensions import db

    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    with app.app_context():
        # Client backends only: an autovacuum worker that happens to run during a rush is not that
        # rush's bookings' work, and it runs when it will: one rush would count it and the next not.
        backends = db.session.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )).scalars().all()
        db.session.rollback()
        db.engine.dispose()
    return workers, backends


def _measured_fire(app, server, port, texts):
    """Fire the requests; the figures with the server's CPU over them (workers, and PostgreSQL's backends)."""
    workers, backends = _server_pids(app, server)
    cpu_before = _cpu_seconds(workers + backends)
    fired = _fire(port, texts)
    workers_after, backends_after = _server_pids(app, server)
    cpu_after = _cpu_seconds(set(workers + workers_after + backends + backends_after))
    fired["app_cpu_seconds"] = sum(cpu_after.get(p, 0) - cpu_before.get(p, 0) for p in set(workers + workers_after))
    # Backends are counted only when PostgreSQL runs on this machine (its /proc is readable).
    fired["db_cpu_seconds"] = sum(cpu_after.get(p, 0) - cpu_before.get(p, 0) for p in set(backends + backends_after))
    return fired


def _page_requests(app, port, session_ids, people, auth):
    """The result page each form booking of the rush sends its browser to, asked with the cookie the
    booking answered with: the browser's cookie and that person's result (read back from the database)."""
    from ktc.bookings.models import Booking
    from ktc.bookings.operations import BookingResult
    from ktc.bookings.views import RESULT_KEY, kept_result
    from ktc.extensions import db

    with app.app_context():
        status = dict(db.session.execute(select(Booking.participant_id, Booking.status)
                                         .where(Booking.session_id.in_(session_ids))).all())
        db.session.rollback()
        db.engine.dispose()
    serializer = app.session_interface.get_signing_serializer(app)
    browser = serializer.loads(auth["cookie"])
    texts = []
    for i, pid in enumerate(people):
        session_id = session_ids[i % len(session_ids)]
        booked = BookingResult(SimpleNamespace(id=pid), None, status.get(pid, "refused"))  # none yet: the warm-up's
        cookie = serializer.dumps({**browser, RESULT_KEY: kept_result(session_id, [booked])})
        texts.append("\r\n".join([f"GET /bookings/team/result?session={session_id} HTTP/1.1", f"Host: 127.0.0.1:{port}",
                                   f"Cookie: session={cookie}"]) + "\r\n\r\n")
    return texts


def _fire(port, requests_text):
    """Run the load generator in its own process; its figures."""
    plan = json.dumps({"host": "127.0.0.1", "port": port, "requests": requests_text})
    done = subprocess.run([sys.executable, "-m", "bench.rush_client"], input=plan, capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return json.loads(done.stdout)


def run(url, meta, requests_count, secret, kinds=KINDS):
    """Run the rush once per kind (KINDS); return {kind: figures and the database's verdict}."""
    from bench.measure import max_ids
    from bench.run import app_for

    app = app_for(url)
    with app.app_context():
        before = max_ids()
    servers = {}
    rounds = {kind: [] for kind in kinds}
    try:
        for weeks_ahead, kind in [(i, kind) for _round in range(ROUNDS) for i, kind in enumerate(kinds)]:
            # Each server is started when first needed (ten workers booting at once on two cores
            # would outlast the warm-up), and both run until the end.
            name, target = SERVERS.get(kind, ("ktc", "wsgi:app"))
            if name not in servers:
                port = _free_port()
                servers[name] = (port, _start_gunicorn(url, secret, port, target))
            port, server = servers[name]
            _warm_bookings(app, before, port, kind, weeks_ahead + len(kinds))
            rush_ids, participants, manager_id, auth = _setup(app, requests_count, weeks_ahead)
            try:
                if kind == "html":
                    auth["cookie"] = _browser_cookie(port, auth, rush_ids[0])
                texts = _requests(app, kind, port, rush_ids, participants, auth)
                _warm(port, auth, rush_ids[0], floor=kind in FLOOR_KINDS)
                if kind == "html":  # every worker has shown a result page before the clock starts
                    _fire(port, _page_requests(app, port, rush_ids, participants[:WARM_REQUESTS], auth))
                fired = _measured_fire(app, server, port, texts)
                verdict = _verdict(app, rush_ids)
                if kind == "html":
                    # Then the page each browser asks for next (Post/Redirect/Get), all at once too.
                    shown = _figures("page", _measured_fire(app, server, port, _page_requests(
                        app, port, rush_ids, participants, auth)), len(rush_ids), verdict)
                    if shown["statuses"] != {"200": shown["requests"]}:
                        raise RuntimeError(f"the result pages did not all show: {shown['statuses']}")
                    rounds.setdefault("page", []).append(shown)
            finally:
                _clean_up(app, before, rush_ids, manager_id)
            figures = _figures(kind, fired, len(rush_ids), verdict)
            if kind in SERVERS and figures["statuses"] != {"201": figures["requests"]}:
                # A yardstick that booked nobody measures nothing: stop rather than report it.
                raise RuntimeError(f"the {kind} rush did not book every request: {figures['statuses']}")
            rounds[kind].append(figures)
    finally:
        for _port, server in servers.values():
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    return {kind: _median_round(figures) for kind, figures in rounds.items()}


def _median_round(figures):
    """One kind's rounds as one: its CPU per request and p99 are the medians of the rounds', the rest
    (throughput, statuses, the sessions' table) the round of median CPU; correctness must hold in every
    round (the verdict counts the worst)."""
    import statistics

    middle = sorted(figures, key=lambda f: f["app_cpu_ms"] + f["db_cpu_ms"])[len(figures) // 2]
    return {
        **middle,
        "app_cpu_ms": round(statistics.median(f["app_cpu_ms"] for f in figures), 2),
        "db_cpu_ms": round(statistics.median(f["db_cpu_ms"] for f in figures), 2),
        "p99_ms": round(statistics.median(f["p99_ms"] for f in figures), 1),
        "rounds": [{key: f[key] for key in ("app_cpu_ms", "db_cpu_ms", "p99_ms")} for f in figures],
        "server_errors": sum(f["server_errors"] for f in figures),
        "overbooked": max(f["overbooked"] for f in figures),
        "all_full": all(f["all_full"] for f in figures),
        "counters_match": all(f["counters_match"] for f in figures),
    }


def _figures(kind, fired, sessions, verdict):
    latencies, statuses = fired["latencies_ms"], fired["statuses"]
    ordered = sorted(latencies)
    count = len(latencies)
    wall = fired["wall_seconds"]
    return {
        "kind": kind, "requests": count, "sessions": sessions, "capacity": CAPACITY,
        "workers": WORKERS, "worker_class": WORKER_CLASS, "threads": THREADS,
        "wall_seconds": round(wall, 2), "throughput": round(count / wall, 1),
        "p50_ms": round(ordered[count // 2], 1),
        "p99_ms": round(ordered[min(count - 1, int(count * 0.99))], 1),
        "max_ms": round(ordered[-1], 1),
        "client_cpu_seconds": round(fired["cpu_seconds"], 2),
        # Server CPU per request: the gunicorn workers, and PostgreSQL's backends (0 when it is remote).
        "app_cpu_ms": round(fired["app_cpu_seconds"] * 1000 / count, 2),
        "db_cpu_ms": round(fired["db_cpu_seconds"] * 1000 / count, 2),
        "cores": os.cpu_count(),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "server_errors": sum(1 for s in statuses if s >= 500 or s == 0), "client_errors": fired["errors"],
        **verdict,
    }


def _verdict(app, rush_ids):
    from ktc.bookings.models import SEAT_STATUSES, Booking
    from ktc.extensions import db
    from ktc.sessions.models import Session

    with app.app_context():
        per_session = []
        for session_id in rush_ids:
            session = db.session.get(Session, session_id)
            rows = db.session.execute(
                select(Booking.status, Booking.side, func.count()).where(Booking.session_id == session_id)
                .group_by(Booking.status, Booking.side)
            ).all()
            held = {"municipal": 0, "regional": 0}
            waitlisted = 0
            for status, side, count in rows:
                if status in SEAT_STATUSES:
                    held[side] += count
                elif status == "waitlisted":
                    waitlisted += count
            per_session.append({
                "session": session_id, "capacity": session.capacity, "confirmed": sum(held.values()),
                "municipal": held["municipal"], "regional": held["regional"], "waitlisted": waitlisted,
                "counters_match": (session.seats_municipal, session.seats_regional) == (held["municipal"],
                                                                                      held["regional"]),
            })
        db.session.rollback()
        db.engine.dispose()
    return {
        "per_session": per_session,
        "overbooked": sum(1 for s in per_session if s["confirmed"] > s["capacity"]),
        "all_full": all(s["confirmed"] == s["capacity"] for s in per_session),
        "counters_match": all(s["counters_match"] for s in per_session),
    }


def summary(result):
    return (f"{result['kind']}: {result['requests']} requests in {result['wall_seconds']} s = {result['throughput']} req/s, "
            f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; statuses {result['statuses']}; "
            f"server CPU per request {result['app_cpu_ms']} ms app + {result['db_cpu_ms']} ms PostgreSQL; "
            f"overbooked sessions {result['overbooked']}, all full {result['all_full']}, "
            f"counters match {result['counters_match']}")



def _clean_up(app, before, rush_ids, manager_id):
    """Remove the rush's sessions, bookings, messages and manager: a reused dataset stays as generated."""
    from sqlalchemy import delete, text

    from ktc.accounts.models import ApiToken, User, unit_managers
    from ktc.bookings.models import Booking
    from ktc.extensions import db
    from ktc.sessions.models import Session, session_skills

    from bench.measure import undo_bench_bookings

    with app.app_context():
        db.session.execute(text("DROP TABLE IF EXISTS bench_floor_outbox"))
        undo_bench_bookings(before)
        db.session.execute(delete(Booking).where(Booking.session_id.in_(rush_ids)))
        db.session.execute(delete(session_skills).where(session_skills.c.session_id.in_(rush_ids)))
        db.session.execute(delete(Session).where(Session.id.in_(rush_ids)))
        db.session.execute(delete(unit_managers).where(unit_managers.c.user_id == manager_id))
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == manager_id))
        db.session.execute(delete(User).where(User.id == manager_id))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # The rows just removed, vacuumed away as autovacuum would in time. Left, they piled up run
            # after run on the same people (every rush books the first people of the same units): their
            # dead booking rows were visited by every later overlap check of theirs, KTC's and not the
            # floor's, and the rushes grew slower one after the other.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE bookings, sessions, session_skills, outbox, audit_log, "
                                        "calendar_stamps, users, api_tokens, unit_managers"))
        db.engine.dispose()
