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
