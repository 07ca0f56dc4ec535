"""Planning screens: forms keep what was typed, rules come back as translated messages."""
from datetime import date, time, timedelta

import pytest

from ktc.extensions import db
from ktc.sessions.models import Session
from ktc.stations.models import ClosedDay


@pytest.fixture
def setup(make, login_as):
    centre = make.centre(opens=time(8), closes=time(17), weekdays=range(5), name="KTC Ryhov")
    station = make.station(centre, name="Sårvårdsstation")
    admin = make.user("admin")
    teacher = make.user("instructor", name="Ingrid Instruktör")
    db.session.commit()
    login_as(admin)
    return type("S", (), locals())


def next_monday(weeks=2):
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks)


def form(setup, day, start="09:00", end="11:00", **extra):
    data = {"station_id": setup.station.id, "day": day.isoformat(), "start_time": start, "end_time": end,
            "capacity": "8", "min_per_side": "2", "release_before_hours": "72"}
    data.update(extra)
    return data


def test_plan_a_session(client, setup):
    day = next_monday()
    response = client.post("/sessions/new", data=form(setup, day, instructor_ids=[setup.teacher.id]))
    assert response.status_code == 302
    session = db.session.query(Session).one()
    assert session.capacity == 8 and session.min_per_side == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sårvårdsstation" in page and "Ingrid Instruktör" in page


@pytest.mark.parametrize(
    "start,end,message",
    [
        ("11:00", "09:00", "Sluttiden måste vara efter starttiden"),
        ("07:00", "09:00", "utanför centrets öppettider"),
    ],
)
def test_rule_errors_are_shown_and_nothing_saved(client, setup, start, end, message):
    day = next_monday()
    response = client.post("/sessions/new", data=form(setup, day, start, end, title="Mitt pass"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert 'value="Mitt pass"' in body  # the form keeps what was typed
    assert db.session.query(Session).count() == 0


def test_closed_day_and_overlap_messages(client, setup):
    day = next_monday()
    db.session.add(ClosedDay(centre_id=setup.centre.id, day=day, reason="Helgdag"))
    db.session.commit()
    body = client.post("/sessions/new", data=form(setup, day)).get_data(as_text=True)
    assert "Centret är stängt" in body
    other = day + timedelta(days=1)
    assert client.post("/sessions/new", data=form(setup, other)).status_code == 302
    response = client.post("/sessions/new", data=form(setup, other, "10:00", "12:00"))
    assert response.status_code == 422
    assert "Stationen är redan upptagen" in response.get_data(as_text=True)


def test_english_messages(client, setup):
    client.post("/lang", data={"lang": "en"})
    body = client.post("/sessions/new", data=form(setup, next_monday(), "11:00", "09:00")).get_data(as_text=True)
    assert "The end must be after the start." in body


def test_series_and_week_view(client, setup):
    first = next_monday(1) + timedelta(days=1)  # a Tuesday
    data = {"station_id": setup.station.id, "first_date": first.isoformat(), "start_time": "09:00",
            "end_time": "11:00", "occurrences": "10", "interval_weeks": "1", "min_per_side": "0",
            "release_before_hours": "72"}
    response = client.post("/sessions/series/new", data=data)
    assert response.status_code == 302
    assert db.session.query(Session).count() == 10
    iso = first.isocalendar()
    week = client.get(f"/sessions/week?centre={setup.centre.id}&week={iso.year}-W{iso.week:02d}")
    assert week.status_code == 200
    assert week.get_data(as_text=True).count("Sårvårdsstation</a>") == 0
    assert "09:00–11:00" in week.get_data(as_text=True)


def test_session_list_csv(client, setup, make):
    make.session(setup.station, start=make.local(*next_monday().timetuple()[:3], 9))
    db.session.commit()
    response = client.get("/sessions/?format=csv")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Start;Slut;")
    assert "Sårvårdsstation" in text


@pytest.mark.parametrize("role", ["manager", "instructor", "participant", "network"])
def test_only_admins_plan(client, make, login_as, role):
    login_as(make.user(role))
    db.session.commit()
    assert client.get("/sessions/new").status_code == 403
    assert client.post("/sessions/series/new", data={}).status_code == 403
