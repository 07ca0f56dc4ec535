"""The week planner is a time grid: each session a block at its real time and length, today marked,
closed days and opening hours visible, and every free half hour a link to plan a session there."""
import re
from datetime import date, time, timedelta

import pytest

from ktc.extensions import db
from ktc.i18n import local_today
from ktc.stations.models import ClosedDay


@pytest.fixture
def plan(make, login_as):
    # Weekdays 08–17; Monday opens at 10 (a staff meeting).
    centre = make.centre(opens=time(8), closes=time(17), weekdays=range(1, 5), name="KTC Ryhov")
    from ktc.stations.models import OpeningHours

    centre.opening_hours.append(OpeningHours(weekday=0, opens=time(10), closes=time(17)))
    wound = make.skill(code="SAR01", name="Sårvård")
    catheter = make.skill(code="KAT01", name="KAD-skötsel")
    station = make.station(centre, skills=[wound, catheter], name="Sårvårdsstation", default_duration_minutes=90,
                           default_min_per_side=2)
    other = make.station(centre, skills=[catheter], name="Kateterstation")
    admin = make.user("admin")
    teacher = make.user("instructor", name="Ingrid Instruktör")
    db.session.commit()
    login_as(admin)
    return type("P", (), locals())


def monday(weeks=2):
    today = date.today()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


def week_url(plan, day, station=None):
    iso = day.isocalendar()
    url = f"/sessions/week?centre={plan.centre.id}&week={iso.year}-W{iso.week:02d}"
    return url + (f"&station={station.id}" if station else "")


def _block(body, title):
    """The planner block (a link) whose text holds the title."""
    for match in re.finditer(r'<a class="block ([^"]*)"[^>]*>(.*?)</a>', body, re.S):
        if title in match.group(2):
            return match.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2)))
    raise AssertionError(f"no block for {title}")


def test_a_session_is_a_block_at_its_time_and_length_with_everything_a_planner_needs(client, plan, make):
    tuesday = monday() + timedelta(days=1)
    session = make.session(plan.station, start=make.local(*tuesday.timetuple()[:3], 9, 15), hours=2,
                           instructors=[plan.teacher], skills=[plan.wound], capacity=8, min_per_side=2,
                           title="Sår för alla")
    make.booking(session, make.participant(side="municipal"))
    make.booking(session, make.participant(side="regional"))
    make.booking(session, make.participant(side="regional"))
    db.session.commit()
    body = client.get(week_url(plan, tuesday, plan.station)).get_data(as_text=True)
    classes, text = _block(body, "Sår för alla")
    # The grid starts at 08:00 (the week's earliest opening), a row per quarter: 09:15 is row 6, 2 h is 8 rows.
    assert "at-6 " in classes and "len-8 " in classes
    # The link says it all, for a screen reader too: day, station, time, skills, instructor, seats per side.
    assert "tisdag" in text and "Sårvårdsstation" in text and "09:15–11:15" in text
    assert "SAR01" in text and "Ingrid Instruktör" in text
    assert "Bokade: 1 från kommunen, 2 från regionen" in text and "5 av 8 lediga" in text


def test_days_across_with_opening_hours_shaded_closed_days_and_free_slots(client, plan, make):
    first = monday()
    wednesday = first + timedelta(days=2)
    db.session.add(ClosedDay(centre=plan.centre, day=wednesday, reason="Personaldag"))
    make.session(plan.station, start=make.local(*(first + timedelta(days=1)).timetuple()[:3], 9), hours=2)
    db.session.commit()
    body = client.get(week_url(plan, first, plan.station)).get_data(as_text=True)
    assert body.count('class="planner__col') == 7
    assert "Stängt: Personaldag" in body
    # Monday opens at 10: 08–10 is shaded (8 quarter rows), and the first free slot is 10:00.
    monday_col = body.split(f'id="col-{first.isoformat()}"')[1].split("</section>")[0]
    assert 'planner__shade at-1 len-8"' in monday_col
    assert f"start=10%3A00" in monday_col and "start=09%3A30" not in monday_col
    # A free slot opens a new session for that station, day and time; taken times have none.
    tuesday_col = body.split(f'id="col-{(first + timedelta(days=1)).isoformat()}"')[1].split("</section>")[0]
    assert (f'href="/sessions/new?station_id={plan.station.id}&amp;day={(first + timedelta(days=1)).isoformat()}'
            f'&amp;start=13%3A00"') in tuesday_col
    assert "start=09%3A00" not in tuesday_col and "start=10%3A30" not in tuesday_col
    # The closed day and the weekend are shaded whole and offer nothing to plan.
    wednesday_col = body.split(f'id="col-{wednesday.isoformat()}"')[1].split("</section>")[0]
    assert "planner__col--closed" in body.split(f'id="col-{wednesday.isoformat()}"')[0].rsplit("<section", 1)[1]
    assert "/sessions/new" not in wednesday_col


def test_today_is_marked_and_past_times_offer_no_slot(client, plan, make):
    # The centre's today, not the server's (they differ for an hour or two after midnight in Sweden).
    today = local_today(plan.centre.timezone)
    body = client.get(week_url(plan, today, plan.station)).get_data(as_text=True)
    head = body.split(f'id="col-{today.isoformat()}"')[0].rsplit("<section", 1)[1]
    assert "planner__col--today" in head
    assert 'aria-current="date"' in body.split(f'id="col-{today.isoformat()}"')[1].split(">")[0]
    yesterday = today - timedelta(days=1)
    if yesterday.isocalendar().week == today.isocalendar().week:
        column = body.split(f'id="col-{yesterday.isoformat()}"')[1].split("</section>")[0]
        assert "/sessions/new" not in column


def test_all_stations_show_one_grid_per_day_with_the_stations_across(client, plan, make):
    first = monday()
    tuesday = first + timedelta(days=1)
    make.session(plan.other, start=make.local(*tuesday.timetuple()[:3], 13), hours=1, title="Kateter på tisdag")
    db.session.commit()
    body = client.get(week_url(plan, first)).get_data(as_text=True)
    day = body.split(f'id="day-{tuesday.isoformat()}"')[1].split('class="planner__day')[0]
    assert day.count('class="planner__col') == 2
    assert ">Kateterstation</h3>" in day and ">Sårvårdsstation</h3>" in day
    other_col = day.split(f'id="col-{tuesday.isoformat()}-{plan.other.id}"')[1].split("</section>")[0]
    classes, _text = _block(other_col, "Kateter på tisdag")
    assert "at-21 " in classes and "len-4 " in classes  # 13:00 from 08:00, one hour
    assert f"station_id={plan.other.id}&amp;day={tuesday.isoformat()}&amp;start=08%3A00" in other_col


def test_a_slot_link_opens_a_new_session_filled_from_the_station(client, plan):
    day = monday() + timedelta(days=1)
    body = client.get(f"/sessions/new?station_id={plan.station.id}&day={day.isoformat()}&start=13:00").get_data(
        as_text=True)
    assert f'value="{day.isoformat()}"' in body
    assert 'name="start_time" required type="time" value="13:00"' in body or 'value="13:00"' in body
    assert 'value="14:30"' in body  # the station's 90 minutes
    assert re.search(rf'<option selected value="{plan.wound.id}">', body)
    assert re.search(rf'<option selected value="{plan.catheter.id}">', body)
    assert re.search(r'id="min_per_side"[^>]*value="2"', body)
    # The script reads the same defaults from the station options.
    option = re.search(rf'<option[^>]*value="{plan.station.id}">', body).group(0)
    assert 'data-duration="90"' in option and 'data-held="2"' in option
    assert sorted(re.search(r'data-skills="([^"]*)"', option).group(1).split()) == sorted(
        [str(plan.wound.id), str(plan.catheter.id)])


def test_the_centre_default_applies_when_the_station_has_none(client, plan):
    plan.centre.default_min_per_side = 3
    db.session.commit()
    body = client.get(f"/sessions/new?station_id={plan.other.id}").get_data(as_text=True)
    assert re.search(r'id="min_per_side"[^>]*value="3"', body)


def _new_form(plan, day, **extra):
    data = {"station_id": plan.station.id, "day": day.isoformat(), "start_time": "09:00", "end_time": "10:30",
            "min_per_side": "0", "release_before_hours": "72", "title": "Efterregistrering"}
    data.update(extra)
    return data


def test_planning_in_the_past_warns_keeps_the_form_and_needs_a_confirmation(client, plan):
    from ktc.sessions.models import Session

    last_week = monday(-1) + timedelta(days=1)  # a Tuesday, open 08–17
    response = client.post("/sessions/new", data=_new_form(plan, last_week))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Starttiden har redan passerat." in body
    assert 'name="confirm_past"' in body and "Ja, planera det bakåt i tiden" in body
    assert 'value="Efterregistrering"' in body and 'value="10:30"' in body
    assert db.session.query(Session).count() == 0

    response = client.post("/sessions/new", data=_new_form(plan, last_week, confirm_past="y"))
    assert response.status_code == 302
    assert db.session.query(Session).one().title == "Efterregistrering"


def test_a_future_session_is_planned_without_the_question(client, plan):
    response = client.post("/sessions/new", data=_new_form(plan, monday() + timedelta(days=1)))
    assert response.status_code == 302
    body = client.get("/sessions/new").get_data(as_text=True)
    assert 'name="confirm_past"' not in body
