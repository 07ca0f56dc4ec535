"""Every page, asked with odd values in every query parameter the pages read, and every form posted
with odd values in every field: an answer, never a server error. The parameters and fields are the
ones KTC's views and forms read; the values are what a mistyped or tampered link or form carries."""
import re
from pathlib import Path

import pytest

from tests.security import world

ROOT = Path(__file__).resolve().parents[2] / "ktc"
ODD = ["-1", "2147483648", "1" * 25, "1.5", "abc", "", "x" * 3000, "0001-01-01", "9999-12-31", "2026-W99",
       "<script>", "csv"]


URL_FOR_OPTIONS = ["_method", "_external", "_anchor", "_scheme"]


def _parameters():
    """The query parameters the views read (`args.get("…")`) and the GET filter forms' fields."""
    names = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text()
        names.update(re.findall(r"args\.get(?:list)?\(\"([a-z_]+)\"", text))
        for form in re.findall(r"class \w+Filter\w*\((?:Flask)?Form\):\n((?:    .*\n|\n)+)", text):
            names.update(re.findall(r"^    ([a-z_]+) = \w+Field\(", form, re.M))
    return sorted(names)


def _fields():
    """The form fields the views read (`request.form.get("…")`) and every form class's fields."""
    names = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text()
        names.update(re.findall(r"request\.form\.get(?:list)?\(\"([a-z_\-]+)\"", text))
        names.update(re.findall(r"request\.form\[\"([a-z_]+)\"\]", text))
        names.update(re.findall(r"^    ([a-z_]+) = \w+Field\(", text, re.M))
    return sorted(names)


@pytest.mark.parametrize("page", ["/sessions/", "/audit/", "/records/matrix"])
def test_a_pages_export_link_keeps_its_query_but_not_url_fors_options(client, login_as, make, page):
    """The export link is the page as asked with format=csv: its filters go along; `_method` (which
    made the link impossible to build, a 500), `_external`, `_anchor` and `_scheme` do not."""
    login_as(make.user("admin"))
    body = client.get(page, query_string={"q": "kateter", "_method": "DELETE", "_external": "1",
                                          "_anchor": "x", "_scheme": "javascript"}).get_data(as_text=True)
    assert re.findall(r'href="([^"]*format=csv[^"]*)" download', body) == [f"{page}?q=kateter&amp;format=csv"]


def test_the_parameters_are_found():
    names = _parameters()
    assert {"session", "unit", "from", "week", "date_from", "person", "q", "page"} <= set(names)
    assert {"participant_ids", "tick_order", "day", "capacity", "name", "due_days", "horizon"} <= set(_fields())


# Every parameter at once with each value: one at a time (about 20,000 requests) found nothing more
# on either database when this test was written (session 16), and takes minutes.
@pytest.mark.parametrize("role", ["admin", "manager_a", "user_a"])
def test_every_page_answers_odd_query_values_without_a_server_error(app, client, login_as, make, role):
    w = world.build(make)
    login_as(getattr(w, role))
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/scim/", "/static/", "/sso/")) \
                or rule.endpoint in ("calendar.feed", "meetings.feed", "accounts.logout"):
            continue
        paths.append(world.url_for_rule(rule, w.args))
    # And the keys url_for takes as its own options, which a page must not pass on from its query.
    names = _parameters() + URL_FOR_OPTIONS
    failures = []
    for path in paths:
        for value in ODD:
            response = client.get(path, query_string={name: value for name in names})
            if response.status_code >= 500:
                failures.append(f"{path} with every parameter {value!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


# As above, every field at once; one field at a time (about 35,000 requests as admin on PostgreSQL)
# found nothing more when this test was written.
@pytest.mark.parametrize("role", ["admin", "manager_a"])
def test_every_form_answers_odd_values_without_a_server_error(app, client, login_as, make, role):
    w = world.build(make)
    fields = _fields()
    failures = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(("/api/", "/scim/", "/sso/")) \
                or rule.endpoint in ("accounts.logout", "accounts.login"):
            continue
        path = world.url_for_rule(rule, w.args)
        for value in ODD:
            login_as(getattr(w, role))  # a form may sign out or change the user: each post starts signed in
            response = client.post(path, data={name: value for name in fields})
            if response.status_code >= 500:
                failures.append(f"POST {path} with every field {value!r}: {response.status_code}")
    assert not failures, "\n".join(failures)
