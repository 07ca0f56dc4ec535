"""Seats never run out twice: 40 simultaneous HTTP bookings against gunicorn, on the test's database.

The server is a real gunicorn subprocess with the production configuration (KTC_ENV unset):
4 worker processes on PostgreSQL; on SQLite one worker with 8 threads, where BEGIN IMMEDIATE
serialises the writers. Each request books one person; the threads start together at a barrier.
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from ktc.accounts.operations import issue_api_token
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.sessions.models import Session
from tests import factories as make

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 40
STARTUP_SECONDS = 30


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _has_control_socket():
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)


def _is_postgres(url):
    return url.startswith("postgresql")


class Server:
    """gunicorn serving wsgi:app on a free port; always stopped by the fixture that started it."""

    def __init__(self, database_url, log_path, guard=True, **settings):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items()
               if k not in ("KTC_ENV", "FLASK_DEBUG", "KTC_TEST_DATABASE_URL", "KTC_SECURE_COOKIES")}
        env.update(DATABASE_URL=database_url, SECRET_KEY="race-test-secret-key",
                   KTC_SEAT_GUARD="1" if guard else "0", **settings)
        if _is_postgres(database_url):
            workers = ["--workers", "4"]
        else:
            workers = ["--workers", "1", "--threads", "8"]
        if _has_control_socket():
            # gunicorn ≥ 25 opens a control socket at one fixed path per user; parallel test runs would share it.
            workers.append("--no-control-socket")
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            # --preload: the app is imported once and forked, so four workers start in about a second.
            [sys.executable, "-m", "gunicorn", *workers, "--preload", "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "60", "--graceful-timeout", "1", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self):
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log()}")
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)  # polling a subprocess for readiness, bounded by STARTUP_SECONDS
        raise RuntimeError(f"gunicorn not ready after {STARTUP_SECONDS}s:\n{self.log()}")

    def log(self):
        self._log.flush()
        return Path(self.log_path).read_text(errors="replace")[-4000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def _serve(request, database_url, log_path, guard, **settings):
    server = Server(database_url, log_path, guard, **settings)
    request.addfinalizer(server.stop)
    return server.wait_until_ready()


@pytest.fixture(scope="module")
def server(request, database_url, tmp_path_factory):
    return _serve(request, database_url, tmp_path_factory.mktemp("gunicorn") / "server.log", guard=True)


@pytest.fixture
def people():
    """An admin's token and 40 municipal staff, committed so the server sees them."""
    admin = make.user("admin")
    unit = make.unit(side="municipal")
    staff = [make.participant(unit) for _ in range(REQUESTS)]
    station = make.station()
    token = issue_api_token(admin, "race")
    db.session.commit()
    return type("People", (), {"token": token, "ids": [p.id for p in staff], "station_id": station.id})


def new_session(people, days, **kw):
    from ktc.stations.models import Station

    session = make.session(db.session.get(Station, people.station_id), start=make.future(days), **kw)
    db.session.commit()
    return session.id


def fire(server, people, session_id):
    """40 booking requests, one person each, released together; returns (status, body) per request."""
    barrier = threading.Barrier(REQUESTS)
    url = f"{server.base}/api/v1/sessions/{session_id}/bookings"
    headers = {"Authorization": f"Bearer {people.token}"}

    def book(pid):
        with requests.Session() as http:
            barrier.wait(timeout=30)
            r = http.post(url, json={"participant_ids": [pid]}, headers=headers, timeout=60)
            try:
                return r.status_code, r.json()
            except ValueError:
                return r.status_code, r.text

    db.session.commit()  # hold no lock of our own while the server works
    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        return list(pool.map(book, people.ids))


def outcome(session_id, answers):
    statuses = [body["results"][0]["status"] for code, body in answers if code in (200, 201)]
    db.session.expire_all()
    session = db.session.get(Session, session_id)
    stored = dict(db.session.execute(
        select(Booking.status, func.count(Booking.id)).where(Booking.session_id == session_id).group_by(Booking.status)
    ).all())
    db.session.commit()
    return statuses, stored, session


def test_capacity_holds_under_simultaneous_requests(server, people):
    for round_ in range(3):
        session_id = new_session(people, days=10 + round_, capacity=6)
        answers = fire(server, people, session_id)
        assert not [a for a in answers if a[0] >= 500], server.log()
        assert [code for code, _ in answers] == [201] * REQUESTS, answers[:3]
        statuses, stored, session = outcome(session_id, answers)
        assert statuses.count("confirmed") == 6, (round_, statuses)
        assert statuses.count("waitlisted") == 34
        assert stored == {"confirmed": 6, "waitlisted": 34}
        assert session.seats_municipal + session.seats_regional == stored["confirmed"]


def test_per_side_quota_holds_under_simultaneous_requests(server, people):
    # 6 seats, 2 held for the regional side until 72 hours before the start: municipal staff get 4.
    session_id = new_session(people, days=10, capacity=6, min_per_side=2, release_before_hours=72)
    answers = fire(server, people, session_id)
    assert not [a for a in answers if a[0] >= 500], server.log()
    statuses, stored, session = outcome(session_id, answers)
    assert statuses.count("confirmed") == 4
    assert stored == {"confirmed": 4, "waitlisted": 36}
    assert session.seats_municipal == 4 and session.seats_regional == 0
    reasons = {body["results"][0]["code"] for code, body in answers if body["results"][0]["status"] == "waitlisted"}
    assert reasons == {"quota_reached"}


def test_control_without_the_seat_guard_the_race_shows(request, database_url, tmp_path, people):
    """Proves the test above can fail: with a read-check-write claim, seats are given out twice."""
    if not _is_postgres(database_url):
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises whole requests, so even the unguarded claim "
                    "cannot race there; the control runs on PostgreSQL")
    control = _serve(request, database_url, tmp_path / "control.log", guard=False)
    seen = []
    for round_ in range(3):
        session_id = new_session(people, days=10 + round_, capacity=6)
        answers = fire(control, people, session_id)
        _statuses, stored, session = outcome(session_id, answers)
        confirmed = stored.get("confirmed", 0)
        seen.append((confirmed, session.seats_taken))
        if confirmed > 6 or session.seats_taken != confirmed:
            return
    pytest.fail(f"the unguarded claim never overbooked or miscounted: {seen}")
