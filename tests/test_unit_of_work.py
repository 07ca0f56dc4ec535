"""One unit of work: a request, a CLI command and a scheduler job each commit once, at their end.

Operations and views only add and flush; `ktc.database` commits (STYLE.md rule 4). A write
followed by an exception leaves nothing behind, and a flash or redirect only claims what the
commit kept.
"""
import ast
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import flash, get_flashed_messages, jsonify, redirect, request
from sqlalchemy import event, func, select, text

from ktc import create_app
from ktc.accounts.models import LoginFailure, User
from ktc.accounts.operations import issue_api_token
from ktc.calendar.models import CalendarStamp
from ktc.database import always_commit, utcnow
from ktc.extensions import db
from ktc.records.jobs import auto_complete_sessions
from ktc.scheduler import run_job
from ktc.sessions.models import Session
from ktc.skills.models import Skill

from tests.api.conftest import Api
from tests.conftest import TEST_CONFIG, FreshContextClient

ROOT = Path(__file__).resolve().parent.parent
# The one module that commits: the unit of work and its named per-item step for batch jobs.
COMMITS_HERE = {"ktc/database.py"}


@contextmanager
def counted_commits():
    """The COMMITs sent to the database while the block runs that keep a write. On PostgreSQL a
    read-only request ends with a COMMIT of a transaction that wrote nothing (ktc.database.end_if_unwritten),
    which keeps nothing: PostgreSQL says whether a transaction wrote (it has a transaction id only then)."""
    commits = []

    def _count(connection):
        if connection.dialect.name == "postgresql":
            with connection.connection.dbapi_connection.cursor() as cursor:  # past SQLAlchemy's events
                if cursor.execute("SELECT txid_current_if_assigned()").fetchone()[0] is None:
                    return
        commits.append(1)

    db.session.commit()  # the test's own setup is not counted
    event.listen(db.engine, "commit", _count)
    try:
        yield commits
    finally:
        event.remove(db.engine, "commit", _count)


def _skill_codes():
    db.session.rollback()  # a new transaction sees what the request committed (SQLite reads a snapshot)
    return set(db.session.execute(select(Skill.code)).scalars())


# --- the rule itself -----------------------------------------------------------------------------

def test_nothing_outside_the_unit_of_work_commits():
    """No `.commit(` call (nor a `session.begin()` block, which commits too) outside ktc/database.py, and
    no SAVEPOINT begun past `ktc.database.savepoint` (which first sends the writes kept for the commit:
    rolling the savepoint back would otherwise take them with it)."""
    found = set()
    for path in sorted((ROOT / "ktc").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), name)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("commit", "begin", "begin_nested") and name not in COMMITS_HERE):
                found.add(f"{name}:{node.lineno} .{node.func.attr}()")
    assert found == set()


# --- HTML ----------------------------------------------------------------------------------------

def test_a_form_post_commits_once(client, login_as, make):
    login_as(make.user("admin"))
    with counted_commits() as commits:
        response = client.post("/skills/new", data={"code": "hlr-01", "name": "HLR vuxen"})
    assert response.status_code == 302
    assert len(commits) == 1
    assert _skill_codes() == {"HLR-01"}


def test_a_form_post_that_fails_after_writing_leaves_nothing(client, login_as, make, monkeypatch):
    login_as(make.user("admin"))

    def broken_flash(*_args, **_kwargs):
        raise RuntimeError("after the write")

    monkeypatch.setattr("ktc.web.flash", broken_flash)
    db.session.commit()
    with pytest.raises(RuntimeError):
        client.post("/skills/new", data={"code": "hlr-01", "name": "HLR vuxen"})
    assert _skill_codes() == set()


def test_a_refused_form_is_not_committed(client, login_as, make):
    login_as(make.user("admin"))
    make.skill(code="HLR-01")
    with counted_commits() as commits:
        response = client.post("/skills/new", data={"code": "hlr-01", "name": "Another"})
    assert response.status_code == 422
    assert commits == []


def test_a_get_commits_nothing(client, login_as, make):
    login_as(make.user("admin"))
    with counted_commits() as commits:
        assert client.get("/skills/").status_code == 200
    assert commits == []


def test_a_refused_login_is_still_counted(client, make):
    """The exception to "an error answer is rolled back": the failed attempt must stay."""
    make.user("admin", email="anna@example.org", password="right-password-1")
    with counted_commits() as commits:
        response = client.post("/login", data={"email": "anna@example.org", "password": "wrong-password"})
    assert response.status_code == 401
    assert len(commits) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1


# --- the JSON API --------------------------------------------------------------------------------

def _admin_api(client, make):
    token = issue_api_token(make.user("admin"), "test")
    db.session.commit()
    return Api(client, token)


def test_an_api_write_commits_once(client, make):
    api = _admin_api(client, make)
    with counted_commits() as commits:
        response = api.post("/api/v1/skills", json={"code": "hlr-01", "name": "HLR vuxen"})
    assert response.status_code == 201
    assert len(commits) == 1
    assert _skill_codes() == {"HLR-01"}


def test_an_api_write_that_fails_after_writing_leaves_nothing(client, make, monkeypatch):
    api = _admin_api(client, make)

    def written_then_broken(**_kwargs):
        db.session.flush()  # the skill's row is written ...
        raise RuntimeError("after the write")  # ... and the request fails before it answers

    monkeypatch.setattr("ktc.api.skills.commit", written_then_broken)
    with pytest.raises(RuntimeError):
        api.post("/api/v1/skills", json={"code": "hlr-01", "name": "HLR vuxen"})
    assert _skill_codes() == set()


# --- a failed commit: the answer says so ---------------------------------------------------------

@pytest.fixture(scope="module")
def probe_app(database_url):
    """An app with routes that write what only the commit refuses (two rows with one unique code)."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = FreshContextClient

    def _two_with_one_code():
        db.session.add_all([Skill(code="SAME", name="One"), Skill(code="SAME", name="Two")])

    @app.post("/probe/duplicate")
    def duplicate():
        _two_with_one_code()
        flash("Both are saved.", "success")
        return redirect("/probe/flashes")

    @app.post("/api/probe/duplicate")
    def api_duplicate():
        _two_with_one_code()
        return jsonify(saved=True), 201

    @app.get("/probe/flashes")
    def flashes():
        return jsonify(get_flashed_messages())

    @app.get("/probe/get-writes")
    def get_writes():
        db.session.add(Skill(code="FROM-GET", name="From a GET"))
        return "read"

    @app.get("/probe/get-flushes")
    def get_flushes():
        db.session.add(Skill(code="FLUSHED", name="Written by a GET"))
        db.session.flush()
        return "read"

    @app.get("/probe/get-core-write")
    def get_core_write():
        db.session.execute(Skill.__table__.insert().values(code="CORE", name="Written by a GET"))
        return "read"

    @app.route("/probe/prepared", methods=["GET", "POST"])
    def prepared():
        # The statements the driver has prepared on this request's connection (PostgreSQL); a POST is
        # answered as refused, so that its transaction keeps nothing too.
        count = str(db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar())
        return count, 200 if request.method == "GET" else 422

    @app.post("/probe/refused-after-writing")
    def refused_after_writing():
        db.session.add(Skill(code="WRITTEN", name="Written, then refused"))
        db.session.flush()
        return "no", 422

    @app.get("/probe/get-always")
    def get_always():
        db.session.add(Skill(code="ALWAYS", name="Asked for"))
        always_commit()
        return "signed in"

    @app.post("/probe/refused")
    def refused():
        db.session.add(Skill(code="REFUSED", name="Refused"))
        flash("Saved?", "success")
        return "no", 422

    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_unique_key_refused_at_commit_is_a_409_page_and_no_success_message(probe_app):
    client = probe_app.test_client()
    response = client.post("/probe/duplicate")
    assert response.status_code == 409
    assert "Det krockar med befintliga uppgifter." in response.get_data(as_text=True)
    # The view flashed success before the commit failed: the message is taken back.
    assert client.get("/probe/flashes").get_json() == []
    assert _skill_codes() == set()


def test_a_unique_key_refused_at_commit_is_a_409_json_error(probe_app):
    response = probe_app.test_client().post("/api/probe/duplicate")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert _skill_codes() == set()


def test_only_writing_requests_with_a_successful_answer_commit(probe_app):
    client = probe_app.test_client()
    assert client.get("/probe/get-writes").status_code == 200
    # What a GET wrote to the database (flushed, or a Core statement) is not kept either: on PostgreSQL
    # a read-only request that wrote is rolled back, not committed as one that only read is.
    assert client.get("/probe/get-flushes").status_code == 200
    assert client.get("/probe/get-core-write").status_code == 200
    assert client.post("/probe/refused").status_code == 422
    assert client.post("/probe/refused-after-writing").status_code == 422
    assert client.get("/probe/get-always").status_code == 200
    assert _skill_codes() == {"ALWAYS"}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_requests_that_keep_nothing_leave_the_connection_its_prepared_statements(probe_app, method):
    """psycopg forgets every statement it has prepared on a connection at a ROLLBACK: a request whose
    transaction keeps nothing (a read-only one, or a refused write) and wrote nothing ends with a COMMIT
    instead, so that the next requests' statements are not parsed and planned anew (each is prepared
    once it has run five times on a connection)."""
    with probe_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are PostgreSQL's (psycopg)")
    client = probe_app.test_client()
    counts = [int(client.open("/probe/prepared", method=method).get_data(as_text=True)) for _ in range(20)]
    # Run often enough on each of the pool's connections, the probe's own statement stays prepared.
    assert counts[-1] >= 1, counts


# --- CLI commands --------------------------------------------------------------------------------

def test_a_cli_command_commits_once(runner):
    with counted_commits() as commits:
        result = runner.invoke(args=["ktc", "create-user", "eva@example.org", "--role", "admin", "--name", "Eva"])
    assert result.exit_code == 0, result.output
    assert len(commits) == 1
    db.session.rollback()
    assert db.session.execute(select(User.email)).scalars().all() == ["eva@example.org"]


def test_a_cli_command_that_fails_after_writing_leaves_nothing(runner, monkeypatch):
    def broken_echo(*_args, **_kwargs):
        raise RuntimeError("after the write")

    monkeypatch.setattr("ktc.cli.click.echo", broken_echo)
    result = runner.invoke(args=["ktc", "create-user", "eva@example.org", "--role", "admin"])
    assert isinstance(result.exception, RuntimeError)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


# --- scheduler jobs ------------------------------------------------------------------------------

def _finished_session(make):
    start = utcnow() - timedelta(days=2)
    session = make.session(start=start)
    db.session.commit()
    return session.id


def _stamps():
    db.session.rollback()
    return {stamp.scope: stamp.version for stamp in db.session.execute(select(CalendarStamp)).scalars()}


def test_a_job_commits_once_with_its_feed_stamps(app, make):
    session_id = _finished_session(make)
    before = _stamps()
    with counted_commits() as commits:
        assert run_job(app, "records.auto_complete_sessions", auto_complete_sessions) == 1
    assert len(commits) == 1
    db.session.rollback()
    assert db.session.get(Session, session_id).status == "completed"
    # The feeds showing the session are renewed in the same commit (ktc.calendar.stamps).
    after = _stamps()
    assert after != before
    assert all(after[scope] > version for scope, version in before.items() if scope in after)


def test_a_job_that_fails_after_writing_leaves_nothing(app, make):
    session_id = _finished_session(make)
    before = _stamps()

    def completes_then_fails():
        auto_complete_sessions()
        raise RuntimeError("after the write")

    assert run_job(app, "test.completes_then_fails", completes_then_fails) is None
    db.session.rollback()
    assert db.session.get(Session, session_id).status == "scheduled"
    assert _stamps() == before
