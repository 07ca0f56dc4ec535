"""An id past what the database's id columns hold, in any page's path or query: no such object, never
a server error. PostgreSQL refuses a number past 2**31 - 1 and SQLite one past 2**63 - 1 with an error
of the statement; KTC must not send them one."""
import re

import pytest

from ktc.extensions import db

BIG = (2**31, 10**20)

# Every query parameter that names an object on a page: 2**31 there counts as not given.
QUERIES = [
    "/bookings/team?session={}", "/bookings/team/result?session={}", "/bookings/team?skill={}",
    "/bookings/team/bookings?session={}", "/bookings/team/bookings?person={}", "/audit/?object_id={}",
    "/sessions/?centre={}", "/sessions/?station={}", "/sessions/?skill={}", "/sessions/week?centre={}",
    "/sessions/week?station={}", "/sessions/new?station_id={}", "/sessions/day/2026-12-01/print?centre={}",
    "/organisations/participants?unit={}", "/organisations/staff/search?unit={}&q=a",
    "/paths/assign?unit_id={}", "/paths/assign?path_id={}", "/paths/team?unit_id={}",
]


def _path_with(rule, number):
    """The rule's path with every integer part `number` and every other part a plain word."""
    path = re.sub(r"<int:\w+>", str(number), rule)
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?\w+>", "x", path)


def test_every_route_with_an_id_past_the_column_answers_404(app, client, admin):
    """Pages and the API alike, before any query: the id names nothing (the API in its JSON)."""
    rules = [r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and "<int:" in r.rule]
    assert len(rules) > 30
    wrong = []
    for rule in rules:
        for number in BIG:
            response = client.get(_path_with(rule, number))
            if response.status_code != 404:
                wrong.append(f"{rule} with {number}: {response.status_code}")
            elif rule.startswith("/api/") and response.json["error"]["code"] != "not_found":
                wrong.append(f"{rule} with {number}: {response.json}")
    assert not wrong, "\n".join(wrong)
    assert client.get(f"/sessions/{2**31}").mimetype == "text/html"


@pytest.mark.parametrize("query", QUERIES)
def test_an_id_past_the_column_in_a_query_counts_as_not_given(client, admin, query):
    """The page is answered as if the parameter were missing (a list unfiltered, a form to choose
    from, or the way on), never with a server error; the same page with the id the column's last one
    answers the same way."""
    answers = {client.get(query.format(number)).status_code for number in (*BIG, 2**31 - 1)}
    assert answers and max(answers) < 500


def test_a_team_form_posted_with_ids_past_the_column_books_nobody(client, admin):
    """A ticked person whose id is past the column is no person: with nobody else ticked, the form asks
    for someone (422) and books nobody."""
    from ktc.bookings.models import Booking

    response = client.post("/bookings/team", data={"session": admin.session_id, "participant_ids": [2**31, 10**20]})
    assert response.status_code == 422
    assert db.session.query(Booking).count() == 0
