"""Planning a series says what it did: "7 created, 1 skipped: <day> (<why>)", not "8 sessions"."""
from datetime import date, time, timedelta

from ktc.extensions import db
from ktc.sessions.models import Session
from ktc.stations.models import ClosedDay


def test_series_with_a_closed_day_says_how_many_were_created_and_skipped(client, make, login_as):
    centre = make.centre(opens=time(8), closes=time(17))
    station = make.station(centre)
    today = date.today()
    first = today + timedelta(days=(1 - today.weekday()) % 7 + 14)  # a Tuesday two weeks on
    db.session.add(ClosedDay(centre=centre, day=first + timedelta(weeks=3), reason="Trettondedag jul"))
    login_as(make.user("admin"))
    db.session.commit()
    response = client.post("/sessions/series/new", follow_redirects=True, data={
        "station_id": station.id, "first_date": first.isoformat(), "start_time": "09:00", "end_time": "11:00",
        "occurrences": "8", "interval_weeks": "1", "min_per_side": "0", "release_before_hours": "72",
        "skip_conflicts": "y",
    })
    page = response.get_data(as_text=True)
    assert "7 skapade, 1 hoppades över" in page
    assert "(Trettondedag jul)" in page
    assert db.session.query(Session).count() == 7
