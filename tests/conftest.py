"""Fixtures: one database per xdist worker (SQLite file or PostgreSQL database), emptied after each test.

Set KTC_TEST_DATABASE_URL to a PostgreSQL server URL to run the suite on PostgreSQL; each worker
then gets a database of its own on that server. Without it the suite runs on SQLite files.
"""
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from ktc import create_app
from ktc.extensions import db as _db

from tests import factories


def _worker_id():
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_url(base_url, name):
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _create_postgres_database(base_url, name):
    import psycopg

    admin_url = _postgres_url(base_url, "postgres").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_url_for_worker(tmp_path_factory):
    base = os.environ.get("KTC_TEST_DATABASE_URL")
    if base:
        name = f"ktc_test_{_worker_id()}"
        _create_postgres_database(base, name)
        url = _postgres_url(base, name)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "ktc.sqlite")


TEST_CONFIG = {
    "ENV_NAME": "testing",
    "TESTING": True,
    "SECRET_KEY": "test-secret-not-for-production",
    "WTF_CSRF_ENABLED": False,
    "SERVER_NAME": None,
    "KTC_BASE_URL": "https://ktc.example.org",
    # The test's own reads must not hold SQLite's write lock while it makes requests.
    "SQLITE_IMMEDIATE_OUTSIDE_REQUESTS": False,
    # Cheap hashing in tests; the production cost is asserted in the security tests.
    "KTC_ARGON2_TIME_COST": 1,
    "KTC_ARGON2_MEMORY_COST": 8,
    "KTC_ARGON2_PARALLELISM": 1,
}


class FreshContextClient(FlaskClient):
    """Each request runs in an app context (and database session) of its own, as in production.

    Without this, requests would reuse the test's app context, sharing `g` and the session.
    The test's own session is committed first, so the request sees the test's data and the
    test's next query (a new transaction) sees what the request changed.
    """

    def open(self, *args, **kwargs):
        _db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return database_url_for_worker(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.session.remove()
    app.test_client_class = FreshContextClient
    yield app
    with app.app_context():
        _db.engine.dispose()


def _empty_all_tables():
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


@pytest.fixture(autouse=True)
def db(request, app):
    """A fresh, empty database for every test, inside an app context."""
    ctx = app.app_context()
    ctx.push()
    try:
        yield _db
    finally:
        _db.session.rollback()
        _db.session.remove()
        _empty_all_tables()
        _db.session.remove()
        ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client):
    """Log the test client in as a user (a real session cookie, as after a login)."""

    def _login(user):
        with client.session_transaction() as sess:
            sess.clear()  # as a real login does: nothing of the previous user (their language) is kept
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return user

    return _login


@pytest.fixture
def make():
    """The factories module, so tests can write make.session(...), make.user(...)."""
    return factories
