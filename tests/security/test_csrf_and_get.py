"""CSRF on every form POST, and no state change on any GET."""
import re

import pytest
from sqlalchemy import select

from ktc.extensions import db

from tests.security import world

CSRF_REFUSED = "Formuläret har gått ut"


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _token_for(w):
    return lambda rule: w.feed_token if rule.endpoint == "calendar.feed" else world.FEEDBACK_TOKEN


def _post_rules(app):
    # The JSON API and SCIM are token-only (a browser's cookie never authenticates them), so they need
    # no CSRF.
    return [r for r in app.url_map.iter_rules()
            if world.walkable(r, "POST") and not r.rule.startswith(("/api/", "/scim/"))]


def test_every_form_post_without_a_csrf_token_is_refused(app, client, login_as, make, csrf_on):
    w = world.build(make)
    rules = _post_rules(app)
    assert {"accounts.login", "bookings.team", "records.roster", "feedback.respond", "calendar.create"} <= {
        r.endpoint for r in rules}
    for as_user in (None, w.admin):
        if as_user is not None:
            login_as(as_user)
        for rule in rules:
            path = world.url_for_rule(rule, w.args, _token_for(w))
            response = client.post(path, data={"participant_ids": [w.person_a.id], "lang": "en"})
            assert response.status_code == 400, (path, response.status_code)
            assert CSRF_REFUSED in response.get_data(as_text=True), path


def test_a_valid_csrf_token_is_accepted(client, make, csrf_on):
    make.user("admin", email="csrf@example.org", password="correct horse battery")
    db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": "csrf@example.org", "password": "correct horse battery",
                                           "csrf_token": token})
    assert response.status_code == 302


def test_only_the_token_api_is_exempt_from_csrf():
    from ktc.extensions import csrf

    assert not csrf._exempt_views
    assert {bp.name for bp in csrf._exempt_blueprints} <= {"api", "scim"}


def _snapshot():
    """Every row of every table, so that any insert, update or delete shows."""
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        tables[table.name] = sorted(repr(tuple(row)) for row in rows)
    db.session.rollback()
    return tables


def test_no_get_changes_the_database(app, client, login_as, make):
    from ktc.accounts.operations import issue_api_token

    w = world.build(make)
    users = (None, w.admin, w.manager_a, w.instructor, w.user_a)
    tokens = {user.id: issue_api_token(user) for user in users if user is not None}
    db.session.commit()
    # The OpenID Connect callback is a GET by protocol (the provider redirects the browser there): it
    # signs in, links the account and audits refusals (tests/sso), so it is the one GET that writes.
    rules = [r for r in app.url_map.iter_rules() if world.walkable(r, "GET") and r.endpoint != "sso.callback"]
    before = _snapshot()
    ok = set()
    for user in users:
        headers = {}
        if user is not None:
            login_as(user)
            headers = {"Authorization": f"Bearer {tokens[user.id]}"}
        for rule in rules:
            path = world.url_for_rule(rule, w.args, _token_for(w))
            response = client.get(path, headers=headers if path.startswith("/api/") else {})
            assert response.status_code < 500, path
            if response.status_code == 200:
                ok.add(rule.endpoint)
            after = _snapshot()
            changed = [name for name in before if before[name] != after[name]]
            assert not changed, f"GET {path} as {user and user.role} changed {changed}"
    # The walk reached the pages that matter (not just 404s).
    assert {"calendar.feeds", "calendar.feed", "api.my_calendars", "feedback.respond", "records.roster",
            "bookings.team", "bookings.mine", "sessions.detail", "network.index", "mail.outbox"} <= ok
