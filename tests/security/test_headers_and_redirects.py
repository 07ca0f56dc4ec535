"""Security headers and CSP on every HTML page; `next` redirects only to local paths."""
import re
from urllib.parse import urlsplit

import pytest

from ktc.extensions import db

from tests.security import world

REQUIRED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _csp(header):
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def _check_html_page(path, response, logged_in):
    headers = response.headers
    csp = _csp(headers["Content-Security-Policy"])
    for name, value in REQUIRED_CSP.items():
        assert csp.get(name) == value, (path, name, csp.get(name))
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff", path
    assert headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}, path
    assert headers["X-Frame-Options"] == "DENY", path
    if logged_in:
        assert headers["Cache-Control"] == "no-store", path
    body = response.get_data(as_text=True)
    # The CSP would block these in a browser, so a page relying on them is broken.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), path
    assert not re.search(r"\sstyle=", body), path
    assert not re.search(r"\son[a-z]+=", body), path


def test_every_html_page_sends_the_security_headers(app, client, login_as, make):
    w = world.build(make)
    rules = [r for r in app.url_map.iter_rules() if world.walkable(r, "GET") and not r.rule.startswith("/api/")]
    checked = set()
    for user in (None, w.admin, w.manager_a, w.instructor, w.user_a):
        if user is not None:
            login_as(user)
        for rule in rules:
            path = world.url_for_rule(
                rule, w.args, lambda r: w.feed_token if r.endpoint == "calendar.feed" else world.FEEDBACK_TOKEN)
            response = client.get(path)
            if response.mimetype == "text/html":
                _check_html_page(path, response, logged_in=user is not None)
                checked.add((rule.endpoint, response.status_code))
            else:
                assert response.headers["X-Content-Type-Options"] == "nosniff", path
    endpoints = {endpoint for endpoint, status in checked if status == 200}
    assert {"accounts.login", "main.index", "records.roster", "feedback.respond", "calendar.feeds"} <= endpoints
    assert any(status == 404 for _endpoint, status in checked)  # error pages too


def test_feedback_page_never_leaks_its_token(client, make):
    world.build(make)
    response = client.get(f"/feedback/{world.FEEDBACK_TOKEN}")
    assert response.status_code == 200
    # Exactly these: a browser follows the last Referrer-Policy it is sent, so the app-wide
    # "same-origin" added after the page's own would undo it.
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers.getlist("Cache-Control") == ["no-store"]


def test_production_sends_hsts(prod_app):
    response = prod_app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


ATTACKS = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "http:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    " //evil.example",
]


def _assert_local(location):
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location
    assert not re.search(r"[\t\r\n]", location), location


@pytest.mark.parametrize("target", ATTACKS)
def test_login_next_only_goes_to_local_paths(client, make, target):
    make.user("admin", email="next@example.org", password="correct horse battery")
    db.session.commit()
    response = client.post("/login", query_string={"next": target},
                           data={"email": "next@example.org", "password": "correct horse battery"})
    assert response.status_code == 302
    _assert_local(response.headers["Location"])
    assert "evil" not in response.headers["Location"]


@pytest.mark.parametrize("target", ATTACKS)
def test_language_switch_only_goes_to_local_paths(client, target):
    response = client.post("/lang", data={"lang": "en", "next": target})
    assert response.status_code == 302
    _assert_local(response.headers["Location"])
    assert "evil" not in response.headers["Location"]


def test_language_switch_returns_to_the_page(client):
    response = client.post("/lang", data={"lang": "en", "next": "/login?next=/account"})
    assert response.headers["Location"] == "/login?next=/account"


def test_booking_cancel_next_only_goes_to_local_paths(client, login_as, make):
    w = world.build(make)
    login_as(w.admin)
    for target in ATTACKS:
        response = client.post(f"/bookings/{w.future_b.id}/cancel", data={"next": target, "confirmed": "yes"})
        assert response.status_code == 302
        _assert_local(response.headers["Location"])
        assert "evil" not in response.headers["Location"]
