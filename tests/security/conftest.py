"""Apps configured like production (and a second app instance, as a second worker would be)."""
import pytest

from ktc import create_app
from ktc.extensions import db as _db

from tests.conftest import TEST_CONFIG, FreshContextClient


def _app(config):
    app = create_app(config)
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture(scope="session")
def prod_app(database_url):
    """Production settings (secure cookies, HSTS, real argon2 cost) on the test database."""
    app = _app({
        "ENV_NAME": "production",
        "SECRET_KEY": "production-like-secret-for-the-security-tests",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "KTC_BASE_URL": "https://ktc.example.org",
        "WTF_CSRF_ENABLED": False,
        "SQLITE_IMMEDIATE_OUTSIDE_REQUESTS": False,
    })
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(scope="session")
def second_app(database_url):
    """Another instance of the test app: what a second gunicorn worker would be."""
    app = _app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(scope="session")
def proxied_app(database_url):
    """The test app behind one trusted reverse proxy (KTC_PROXY_COUNT=1)."""
    app = _app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "KTC_PROXY_COUNT": 1})
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def admin(make, login_as):
    """An admin signed in, and a session to book at a station (its ids): for pages asked with odd input."""
    user = make.user("admin")
    session = make.session()
    _db.session.commit()
    login_as(user)
    return type("World", (), {"session_id": session.id, "station_id": session.station_id})
