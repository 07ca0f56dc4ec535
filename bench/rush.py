"""The booking rush: many simultaneous team-booking POSTs against gunicorn (4 workers) and PostgreSQL.

Every request is a real browser request: a signed session cookie of a manager and a valid CSRF
token, one person ticked, posted to /bookings/team. The sessions have few seats, so most people
must end up on the waiting list; afterwards the database must hold exactly `capacity` seat-holding
bookings per session, seat counters equal to them, and no request may have failed with a 5xx.
"""
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Europe/Stockholm")
SESSIONS = 5
CAPACITY = 12
WORKERS = 4


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(app, meta, requests_count):
    """Rush sessions far ahead at an hour nobody is booked, a manager of enough staff, a cookie and a token."""
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf

    from ktc.accounts.models import User, unit_managers
    from ktc.extensions import db
    from ktc.organisations.models import Participant
    from ktc.sessions.models import Session, session_skills
    from ktc.stations.models import Station

    with app.app_context():
        day = (datetime.now(ZONE) + timedelta(days=200)).date()
        day += timedelta(days=(6 - day.weekday()))  # a Sunday: no generated session is on a weekend
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
        manager = User(email=f"rusning-{int(time.time())}@bench.example", name="Rusning Chef", role="manager")
        db.session.add(manager)
        db.session.flush()
        db.session.execute(insert(unit_managers), [{"user_id": manager.id, "unit_id": u} for u in units])
        participants = db.session.execute(
            select(Participant.id).where(Participant.unit_id.in_(units), Participant.active.is_(True))
            .order_by(Participant.id).limit(requests_count)
        ).scalars().all()
        db.session.commit()
        with app.test_request_context("/"):
            flask_session["_user_id"] = manager.get_id()
            flask_session["_fresh"] = True
            token = generate_csrf()
            cookie = app.session_interface.get_signing_serializer(app).dumps(dict(flask_session))
        return rush_ids, participants, manager.id, cookie, token


def _start_gunicorn(url, secret, port):
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret, "KTC_ENV": "production",
           "KTC_BASE_URL": "https://ktc.bench.example", "PYTHONPATH": str(ROOT)}
    env.pop("KTC_TEST_DATABASE_URL", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(
        [gunicorn, "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--backlog", "2048",
         "--timeout", "120", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("gunicorn did not start: " + process.stderr.read().decode()[-2000:])
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start in time")


def run(url, meta, requests_count, secret):
    """Run the rush; return its figures and the database's verdict."""
    import requests

    from bench.run import app_for

    app = app_for(url)
    with app.app_context():
        from bench.measure import max_ids

        before = max_ids()
    rush_ids, participants, manager_id, cookie, token = _setup(app, meta, requests_count)
    port = _free_port()
    server = _start_gunicorn(url, secret, port)
    try:
        base = f"http://127.0.0.1:{port}"
        # Warm every worker (imports, connection pool) so the rush measures booking, not start-up.
        warm = requests.Session()
        for _ in range(WORKERS * 3):
            warm.get(base + "/healthz", timeout=30)
        barrier = threading.Barrier(len(participants) + 1)
        latencies, statuses, errors = [None] * len(participants), [None] * len(participants), []

        def book(i, participant_id):
            http = requests.Session()
            http.cookies.set("session", cookie)
            data = {"csrf_token": token, "session": str(rush_ids[i % len(rush_ids)]),
                    "participant_ids": str(participant_id)}
            barrier.wait()
            started = time.perf_counter()
            try:
                response = http.post(base + "/bookings/team", data=data, timeout=120)
                statuses[i] = response.status_code
            except requests.RequestException as exc:
                errors.append(repr(exc))
                statuses[i] = 0
            latencies[i] = (time.perf_counter() - started) * 1000

        threads = [threading.Thread(target=book, args=(i, pid)) for i, pid in enumerate(participants)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    verdict = _verdict(app, rush_ids)
    _clean_up(app, before, rush_ids, manager_id)
    ordered = sorted(latencies)
    return {
        "requests": len(participants), "sessions": len(rush_ids), "capacity": CAPACITY, "workers": WORKERS,
        "wall_seconds": round(wall, 2), "throughput": round(len(participants) / wall, 1),
        "p50_ms": round(ordered[len(ordered) // 2], 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max_ms": round(ordered[-1], 1),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "server_errors": sum(1 for s in statuses if s >= 500 or s == 0), "client_errors": errors[:5],
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
    return (f"{result['requests']} requests in {result['wall_seconds']} s = {result['throughput']} req/s, "
            f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; statuses {result['statuses']}; "
            f"overbooked sessions {result['overbooked']}, all full {result['all_full']}, "
            f"counters match {result['counters_match']}")



def _clean_up(app, before, rush_ids, manager_id):
    """Remove the rush's sessions, bookings, messages and manager: a reused dataset stays as generated."""
    from sqlalchemy import delete

    from ktc.accounts.models import User, unit_managers
    from ktc.bookings.models import Booking
    from ktc.extensions import db
    from ktc.sessions.models import Session, session_skills

    from bench.measure import undo_bench_bookings

    with app.app_context():
        undo_bench_bookings(before)
        db.session.execute(delete(Booking).where(Booking.session_id.in_(rush_ids)))
        db.session.execute(delete(session_skills).where(session_skills.c.session_id.in_(rush_ids)))
        db.session.execute(delete(Session).where(Session.id.in_(rush_ids)))
        db.session.execute(delete(unit_managers).where(unit_managers.c.user_id == manager_id))
        db.session.execute(delete(User).where(User.id == manager_id))
        db.session.commit()
        db.engine.dispose()
