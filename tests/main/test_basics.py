import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_pages_need_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_swedish_by_default_english_on_request(client):
    page = client.get("/login")
    assert 'lang="sv"' in page.get_data(as_text=True)
    assert "Logga in" in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en"})
    assert "Log in" in page.get_data(as_text=True)


def test_language_switch_is_remembered(client):
    client.post("/lang", data={"lang": "en", "next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)
    response = client.post("/lang", data={"lang": "sv", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_translation_catalogues_are_complete():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "i18n.py"), "check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for part in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
