"""The header's and footer's links are built once per process (ktc.web.fixed_url), and per place the
app is mounted: a KTC behind a path prefix must never be sent links kept for another mount."""
from flask import url_for

from ktc.web import fixed_url


def test_fixed_urls_are_kept_per_mount_point(app):
    for root in ("", "/ktc", "", "/ktc"):
        with app.test_request_context("/", base_url=f"http://ktc.example{root}"):
            assert fixed_url("static", filename="css/app.css") == f"{root}/static/css/app.css"
            assert fixed_url("main.set_language") == url_for("main.set_language")
            assert fixed_url("static", filename="js/menu.js") == f"{root}/static/js/menu.js"


def test_a_page_links_its_stylesheet_under_its_mount_point(app, client):
    page = client.get("/login", base_url="http://ktc.example/ktc").get_data(as_text=True)
    assert 'href="/ktc/static/css/app.css"' in page
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/static/css/app.css"' in page
