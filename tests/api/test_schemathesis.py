"""Schemathesis over the app's own OpenAPI description: every operation, generated input.

As an admin, a unit's manager and a participant, against a small seeded world (tests/api/conftest.py `world`, fresh for each
operation); for each operation a bounded, deterministic number of examples, plus Schemathesis'
boundary cases (ids past the column's range, NUL bytes, years 1 and 9999, wrong types). Every
response must be a 2xx or a 4xx, never a 5xx, with a status the description lists, its content type,
headers and body of the shape it gives, and input that breaks the description (a wrong type, an unknown
property, a text that is no e-mail address) must be refused. Runs on SQLite, and on PostgreSQL when KTC_TEST_DATABASE_URL
is set, like the rest of the suite.

The document is built once at collection (Schemathesis makes one test per operation from it), by
the same function that serves /api/v1/openapi.json; the first test checks the two are the same.
(`schemathesis.pytest.from_fixture` would load it from the app at run time, but with pytest 9.2 it
fails on `Function._nodeid`, which pytest no longer has.)
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ktc import create_app
from ktc.api.openapi import build_document
from ktc.extensions import db
from tests.conftest import TEST_CONFIG

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Each role's token is the test's to give (the header is added to every call), so Schemathesis does
# not generate the security header itself: a negative case that "removed" it would reach the app with
# the token all the same and look like accepted invalid data. Missing, revoked and foreign tokens are
# tested in tests/api/test_permissions.py. `positive_data_acceptance` is left out: schema-valid input
# may still break a rule no JSON Schema states (an end before the start, a closed day), answered 422.
CONFIG = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})


def _document():
    # An app that is never connected to a database: the document is built from the routes' schemas.
    return build_document(create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"}))


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


def test_the_tested_document_is_the_one_served(client):
    assert client.get("/api/v1/openapi.json").json == DOCUMENT


@pytest.fixture
def wsgi(app):
    """The app, each call in an app context (and database session) of its own, as in production."""

    def call(environ, start_response):
        db.session.commit()  # the test's own transaction must not hold SQLite's write lock
        with app.app_context():
            return app(environ, start_response)

    return call


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("role", ["admin", "manager_a", "participant"])
def test_every_operation_answers_as_described(case, role, world, wsgi):
    case.call_and_validate(app=wsgi, headers={"Authorization": f"Bearer {world.tokens[role]}"}, checks=CHECKS)
