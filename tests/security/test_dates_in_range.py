"""A date far outside the years KTC holds (the year 1, the year 9999) in a page's query or form: a
typing mistake, answered as one, never a server error (such dates overflow as soon as they are moved
to another time zone or a day is added)."""
import pytest

from ktc.extensions import db
from ktc.sessions.models import Session

FAR = ("0001-01-01", "9999-12-31", "0001-W01", "9999-W52")
QUERIES = ["/audit/?from={}", "/audit/?to={}", "/sessions/?from={}", "/sessions/?to={}", "/sessions/week?week={}",
           "/sessions/new?day={}", "/network/?date_from={}", "/network/?date_to={}", "/bookings/team/bookings?start={}"]


@pytest.mark.parametrize("query", QUERIES)
def test_a_far_date_in_a_query_is_not_applied(client, admin, query):
    """The page answers as without the date (the default period, this week), or says the date is wrong."""
    for far in FAR:
        assert client.get(query.format(far)).status_code in (200, 422), query.format(far)


def test_the_week_page_shows_this_week_for_a_far_week(client, admin):
    def main(url):
        body = client.get(url).get_data(as_text=True)
        return body[body.index("<main"):body.index("</main>")]

    assert main("/sessions/week?week=9999-W52") == main("/sessions/week") != main("/sessions/week?week=2030-W10")


def test_a_far_date_in_a_form_is_a_message_and_the_form_keeps_what_was_typed(client, admin):
    response = client.post("/sessions/new", data={
        "station_id": admin.station_id, "title": "Kateter", "day": "0001-01-01", "start_time": "09:00", "end_time": "11:00",
        "capacity": 8, "min_per_side": 2})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ange ett datum mellan 1900-01-01 och 2999-12-31" in body
    assert 'value="0001-01-01"' in body and 'value="Kateter"' in body
    assert db.session.query(Session).count() == 1  # the fixture's own, nothing new
