"""When the database is down, every answer says so: JSON 503 for the API, a plain 503 page, /healthz 503.

Faults are injected into the app's engine with event listeners (on SQLite and on PostgreSQL):
either every new connection is refused, as when the server is stopped, or every statement but
the ones that load the signed-in user fails, as when the server goes away in the middle of a
request. tests/main/test_database_restart.py stops and starts a real PostgreSQL server.
"""
import re

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from ktc.accounts.operations import issue_api_token
from ktc.extensions import db


class Outage:
    """Makes the app's engine fail like a database server that is down, until `end()`."""

    def __init__(self, engine):
        self.engine = engine
        self.listeners = []

    def refuse_connections(self):
        """Every new connection is refused; the pooled ones are closed first, so each request needs one."""
        dbapi = self.engine.dialect.loaded_dbapi

        def _refuse(dialect, conn_rec, cargs, cparams):
            raise dbapi.OperationalError("connection refused (injected: the server is down)")

        self.engine.dispose()
        self._listen("do_connect", _refuse)

    def fail_statements(self, unless=lambda statement: False):
        """Every statement fails (except those `unless` lets through), as when the server went away."""

        def _fail(conn, cursor, statement, parameters, context, executemany):
            if not unless(statement):
                raise OperationalError(statement, parameters, Exception("server closed the connection (injected)"))

        self._listen("before_cursor_execute", _fail)

    def _listen(self, name, fn):
        event.listen(self.engine, name, fn)
        self.listeners.append((name, fn))

    def end(self):
        for name, fn in self.listeners:
            event.remove(self.engine, name, fn)
        self.listeners = []


@pytest.fixture
def outage(db):
    faults = Outage(db.engine)
    yield faults
    faults.end()


def _loads_only_users(statement):
    return statement.strip() in ("BEGIN", "BEGIN IMMEDIATE") or bool(
        re.match(r"\s*SELECT\b.*\bFROM users\b", statement, re.S))


def _assert_plain_503_page(response):
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Error 500" not in page and "Internal Server Error" not in page
    return page


def test_a_page_for_a_signed_in_user_is_a_plain_503_page_in_their_language(client, login_as, make, outage):
    login_as(make.user("admin", locale="en"))
    db.session.commit()
    assert client.get("/").status_code == 200
    outage.refuse_connections()  # the user cannot even be loaded now
    page = _assert_plain_503_page(client.get("/"))
    assert "Temporarily unavailable" in page
    assert 'lang="en"' in page
    assert "The database cannot be reached right now" in page


def test_the_503_page_is_swedish_by_default(client, login_as, make, outage):
    login_as(make.user("manager"))
    db.session.commit()
    outage.refuse_connections()
    page = _assert_plain_503_page(client.get("/"))
    assert "Tillfälligt otillgänglig" in page and 'lang="sv"' in page


def test_the_database_failing_after_the_user_was_loaded_gives_the_same_page(client, login_as, make, outage):
    login_as(make.user("admin", locale="en"))
    db.session.commit()
    outage.fail_statements(unless=_loads_only_users)
    page = _assert_plain_503_page(client.get("/sessions/"))
    # The rollback expired the loaded user: neither the page nor a hook may read it again.
    assert "Temporarily unavailable" in page and 'lang="en"' in page


def test_an_api_call_is_a_json_503_with_retry_after(client, make, outage):
    token = issue_api_token(make.user("admin"))
    db.session.commit()
    outage.refuse_connections()
    response = client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Cache-Control"] == "no-store"
    error = response.get_json()["error"]
    assert error["code"] == "database_unavailable" and error["message"]


def test_an_api_call_failing_after_its_token_was_checked_is_a_json_503(client, make, outage):
    token = issue_api_token(make.user("admin", locale="en"))
    db.session.commit()
    outage.fail_statements(unless=lambda s: _loads_only_users(s) or "FROM api_tokens" in s)
    response = client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.get_json()["error"] == {
        "code": "database_unavailable",
        "message": "The database cannot be reached right now. Please try again in a moment.",
    }
    assert "Set-Cookie" not in response.headers


def test_healthz_says_the_database_is_unavailable(client, login_as, make, outage):
    login_as(make.user("admin"))  # the security-header hook must not load this user
    db.session.commit()
    outage.refuse_connections()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}
    assert response.headers["Retry-After"].isdigit()


def test_everything_answers_again_when_the_database_is_back(client, login_as, make, outage):
    user = make.user("admin")
    token = issue_api_token(user)
    login_as(user)
    db.session.commit()
    outage.refuse_connections()
    assert client.get("/sessions/").status_code == 503
    outage.end()
    assert client.get("/sessions/").status_code == 200
    assert client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_pages_of_a_signed_in_user_are_still_not_stored(client, login_as, make):
    login_as(make.user("admin"))
    db.session.commit()
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_a_database_failure_outside_a_view_is_a_503_too(app):
    # Flask hands an exception raised outside the view (in an after-request hook, say) to the
    # 500 handler, wrapped; that handler must not render the usual page, which needs the user.
    failure = OperationalError("SELECT 1", {}, Exception("server closed the connection (injected)"))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        with app.test_request_context("/api/v1/sessions"):
            response = app.handle_exception(failure)
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


@pytest.mark.parametrize("fails_at", ["first statement", "commit"])
def test_a_lost_connection_is_retried_once_but_never_after_the_commit_began(client, make, monkeypatch, fails_at):
    """A request whose connection turns out dead is run once more, unless its COMMIT had been sent:
    that commit may have happened, and the booking it made must not be made twice. The lost
    connection is injected at the request's first statement (run again: booked once) or at its
    commit (not run again: a 503, the view ran once)."""
    from flask import has_request_context
    from sqlalchemy.orm import scoping

    session = make.session(capacity=3)
    unit = make.unit(side="municipal")
    manager = make.manager(unit)
    person = make.participant(unit)
    token = issue_api_token(manager)
    db.session.commit()
    session_id, person_id = session.id, person.id
    db.session.remove()
    views, commits = [], []
    lost = OperationalError("COMMIT", {}, Exception("server closed the connection (injected)"),
                            connection_invalidated=True)
    real_commit = scoping.scoped_session.commit

    def commit(self):
        if has_request_context():  # the request's commit, not the test client's own before it
            commits.append(1)
            if fails_at == "commit":
                raise lost
        return real_commit(self)

    def first_statement(conn, cursor, statement, parameters, context, executemany):
        if fails_at == "first statement" and not views and "FROM users" in statement:
            views.append("failed")
            raise OperationalError(statement, parameters, Exception("server closed the connection (injected)"),
                                   connection_invalidated=True)

    monkeypatch.setattr(scoping.scoped_session, "commit", commit)
    event.listen(db.engine, "before_cursor_execute", first_statement)
    try:
        response = client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [person_id]},
                               headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(db.engine, "before_cursor_execute", first_statement)
    if fails_at == "commit":
        assert response.status_code == 503
        assert len(commits) == 1
    else:
        assert response.status_code == 201, response.get_json()
        assert len(commits) == 1 and views == ["failed"]
