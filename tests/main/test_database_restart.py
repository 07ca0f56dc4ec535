"""A real PostgreSQL server stopped (as by a crash) under a running app, then started again.

The test starts a PostgreSQL server of its own (scripts/pg.sh), since the suite's shared server must
keep running. While it is down, a signed-in user's page is a plain 503, an API call a JSON 503 with
Retry-After and /healthz a 503; once it is back, the same app answers them again without a restart
(the first request on a connection the restart killed is run once more on a fresh one).
"""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from ktc import create_app
from ktc.accounts.operations import issue_api_token
from ktc.extensions import db
from tests import factories as make
from tests.conftest import TEST_CONFIG, FreshContextClient

ROOT = Path(__file__).resolve().parents[2]
PG_SH = ROOT / "scripts" / "pg.sh"

pytestmark = pytest.mark.skipif(
    not (os.environ.get("KTC_TEST_DATABASE_URL") or "").startswith("postgres"),
    reason="stops and starts a PostgreSQL server of its own; runs in the PostgreSQL suite "
    "(on SQLite, tests/main/test_database_down.py covers the same answers with injected faults)",
)


def _pg(command, directory):
    return subprocess.run(["bash", str(PG_SH), command, directory], check=True, capture_output=True,
                          text=True, timeout=120).stdout.strip()


@pytest.fixture
def own_postgres():
    """A throwaway PostgreSQL server: its URL, and `halt()` / `resume()` to stop and start it."""
    directory = tempfile.mkdtemp(prefix="pg.", dir="/tmp")
    url = _pg("start", directory)
    server = type("Server", (), {
        "url": url,
        "halt": staticmethod(lambda: _pg("halt", directory)),
        "resume": staticmethod(lambda: _pg("resume", directory)),
    })
    try:
        yield server
    finally:
        _pg("stop", directory)


@pytest.fixture
def own_app(own_postgres):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": own_postgres.url})
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_answers_while_postgresql_is_down_and_recovers_without_a_restart(own_postgres, own_app):
    user = make.user("admin", locale="en")
    token = issue_api_token(user)
    db.session.commit()
    # The throwaway server runs with synchronous_commit=off: without a checkpoint, an immediate
    # stop right after this commit could lose it, and the user would be gone after the restart.
    db.session.execute(text("CHECKPOINT"))
    db.session.commit()
    client = own_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    db.session.remove()
    bearer = {"Authorization": f"Bearer {token}"}

    def ask_everything():
        return client.get("/sessions/"), client.get("/api/v1/sessions", headers=bearer), client.get("/healthz")

    assert [r.status_code for r in ask_everything()] == [200, 200, 200]

    own_postgres.halt()
    page, api, health = ask_everything()
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Temporarily unavailable" in page.get_data(as_text=True)
    assert page.headers["Retry-After"].isdigit()
    assert api.status_code == 503 and api.headers["Retry-After"].isdigit()
    assert api.get_json()["error"]["code"] == "database_unavailable"
    assert health.status_code == 503
    assert health.get_json() == {"status": "error", "database": "unavailable"}

    own_postgres.resume()
    page, api, health = ask_everything()
    assert [page.status_code, api.status_code, health.status_code] == [200, 200, 200]
    assert "Sessions" in page.get_data(as_text=True)
    assert health.get_json() == {"status": "ok", "database": "ok"}
