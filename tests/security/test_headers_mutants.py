"""Security headers pinned down after mutation testing (issue 18, docs/MUTATION.md).

Each test kills mutants of ktc/security.py that passed the rest of the suite: the change named in
each docstring went unnoticed before.
"""


def test_pages_deny_camera_microphone_and_location(client):
    """Mutants: the Permissions-Policy header dropped or its value changed."""
    response = client.get("/login")
    assert response.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"


def test_production_hsts_covers_subdomains_for_a_year(prod_app):
    """Mutants: the HSTS value changed (subdomains left out). Its directive names are
    case-insensitive (RFC 6797), so the comparison is too."""
    response = prod_app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].lower() == "max-age=31536000; includesubdomains"


def test_no_hsts_outside_production(client):
    """Mutant: HSTS sent by every environment but production (a browser would then refuse plain
    HTTP for the developer's host for a year)."""
    response = client.get("/login")
    assert "Strict-Transport-Security" not in response.headers


def test_a_response_that_chose_its_own_cache_rule_keeps_it_for_a_signed_in_user(app, make):
    """Mutants: `not in … and` turned into `or`, the header's name changed: a signed-in user's feed
    (`private, no-cache`, revalidated with its ETag) would be turned into `no-store`."""
    from flask import Response, g

    from ktc.extensions import db
    from ktc.security import apply_security_headers

    user = make.user("admin")
    db.session.commit()
    with app.test_request_context("/calendar/feed"):
        g._login_user = user
        response = Response("BEGIN:VCALENDAR")
        response.headers["Cache-Control"] = "private, no-cache"
        assert apply_security_headers(response).headers["Cache-Control"] == "private, no-cache"
        assert apply_security_headers(Response("page")).headers["Cache-Control"] == "no-store"


def test_an_api_answer_to_nobody_signed_in_is_not_stored(client):
    """Mutants: the `/api/` prefix changed: an API answer made before any user is loaded (no token:
    401) would lose `no-store`."""
    response = client.get("/api/v1/sessions")
    assert response.status_code == 401
    assert response.headers["Cache-Control"] == "no-store"


def test_only_a_loaded_signed_in_user_counts_as_signed_in(app, make):
    """Mutant: `and` turned into `or` in signed_in_user_loaded: every page, the login page of a
    visitor included, would count as personal."""
    from flask import g
    from flask_login import AnonymousUserMixin

    from ktc.extensions import db
    from ktc.security import signed_in_user_loaded

    user = make.user("manager")
    db.session.commit()
    with app.test_request_context("/login"):
        assert not signed_in_user_loaded()  # nothing loaded yet
        g._login_user = AnonymousUserMixin()
        assert not signed_in_user_loaded()
        g._login_user = user
        assert signed_in_user_loaded()
