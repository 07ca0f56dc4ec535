"""The manager's team bookings page: what it lists, its filters, CSV, and cancelling with a confirmation."""
import pytest
from sqlalchemy import func, select

from ktc.bookings.models import Booking
from ktc.extensions import db

PAGE = "/bookings/team/bookings"


@pytest.fixture
def team(make):
    org = make.organisation("municipal", name="Värnamo kommun")
    unit = make.unit(org, name="Hemtjänst Centrum")
    other = make.unit(org, name="Särskilt boende Björkgården")
    manager = make.manager(unit, name="Maja Chef")
    anna = make.participant(unit, name="Anna Andersson")
    bo = make.participant(unit, name="Bo Berg")
    outsider = make.participant(other, name="Olle Utanför")
    hlr = make.skill(code="HLR", name="Hjärt-lungräddning")
    sar = make.skill(code="SÅR", name="Sårvård")
    station = make.station(skills=[hlr, sar])
    coming = make.session(station, start=make.future(10), skills=[hlr])
    later = make.session(station, start=make.future(40), skills=[sar])
    earlier = make.session(station, start=make.future(-20), skills=[hlr], status="completed")
    anna_coming = make.booking(coming, anna)
    bo_waiting = make.booking(coming, bo, status="waitlisted")
    anna_later = make.booking(later, anna)
    anna_earlier = make.booking(earlier, anna, status="attended")
    bo_cancelled = make.booking(later, bo, status="cancelled", cancel_reason="Semester")
    outsider_coming = make.booking(coming, outsider)
    db.session.commit()
    return type("T", (), locals())


def _rows(client, **params):
    """The names and session ids listed (one tuple per row), read from the page."""
    import re

    body = client.get(PAGE, query_string=params).get_data(as_text=True)
    return body, re.findall(r'<th scope="row" data-label="[^"]*"><a href="/records/participants/\d+">([^<]+)</a>', body)


def test_manager_sees_the_coming_bookings_of_their_units_only(client, login_as, team):
    login_as(team.manager)
    body, names = _rows(client)
    assert sorted(names) == ["Anna Andersson", "Anna Andersson", "Bo Berg"]
    assert "Olle Utanför" not in body
    assert "Reservlista" in body  # Bo waits; the badge says so


@pytest.mark.parametrize("view, expected", [
    ("waitlisted", ["Bo Berg"]),
    ("past", ["Anna Andersson"]),
    ("cancelled", ["Bo Berg"]),
    ("all", ["Anna Andersson", "Anna Andersson", "Anna Andersson", "Bo Berg", "Bo Berg"]),
])
def test_views_waitlisted_past_cancelled_all(client, login_as, team, view, expected):
    login_as(team.manager)
    body, names = _rows(client, view=view)
    assert sorted(names) == expected
    if view == "cancelled":
        assert "Semester" in body


def test_filters_by_person_skill_session_and_period(client, login_as, team, make):
    login_as(team.manager)
    assert _rows(client, view="all", person=team.bo.id)[1] == ["Bo Berg", "Bo Berg"]
    assert sorted(_rows(client, view="all", skill=team.sar.id)[1]) == ["Anna Andersson", "Bo Berg"]
    assert sorted(_rows(client, session=team.coming.id)[1]) == ["Anna Andersson", "Bo Berg"]
    day = make.future(40).date()
    assert _rows(client, start=day.isoformat(), end=day.isoformat())[1] == ["Anna Andersson"]


def test_another_units_person_is_not_found(client, login_as, team):
    login_as(team.manager)
    assert client.get(PAGE, query_string={"person": team.outsider.id}).status_code == 404


def test_a_bad_date_is_explained_not_applied(client, login_as, team):
    login_as(team.manager)
    for bad in ("14 dec", "0001-01-01", "9999-12-31"):
        response = client.get(PAGE, query_string={"start": bad})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert 'aria-invalid="true"' in body
    assert "Ange ett datum mellan 1900-01-01 och 2999-12-31" in body


def test_csv_lists_the_same_bookings(client, login_as, team):
    login_as(team.manager)
    response = client.get(PAGE, query_string={"view": "all", "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Namn;Enhet;Start")
    assert len(lines) == 1 + 5
    assert not any("Olle" in line for line in lines)
    assert any("Bo Berg" in line and "Avbokad" in line and "Semester" in line for line in lines)


def test_menu_person_page_and_staff_form_link_to_it(client, login_as, team):
    login_as(team.manager)
    assert f'href="{PAGE}"' in client.get("/").get_data(as_text=True)
    link = f'{PAGE}?person={team.anna.id}&amp;view=all'
    assert link in client.get(f"/records/participants/{team.anna.id}").get_data(as_text=True)
    assert link in client.get(f"/organisations/participants/{team.anna.id}/edit").get_data(as_text=True)


def _counts():
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


def test_cancel_asks_first_and_the_first_post_changes_nothing(client, login_as, team):
    login_as(team.manager)
    before = _counts()
    response = client.post(f"/bookings/{team.anna_coming.id}/cancel", data={"next": PAGE, "reason": "Sjuk"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Avboka bokningen?" in body and 'name="confirmed" value="yes"' in body and 'value="Sjuk"' in body
    db.session.expire_all()
    assert _counts() == before
    assert db.session.get(Booking, team.anna_coming.id).status == "confirmed"

    response = client.post(f"/bookings/{team.anna_coming.id}/cancel",
                           data={"next": PAGE, "reason": "Sjuk", "confirmed": "yes"})
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    db.session.expire_all()
    cancelled = db.session.get(Booking, team.anna_coming.id)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Sjuk")
    # The freed seat went to Bo, who was waiting.
    assert db.session.get(Booking, team.bo_waiting.id).status == "confirmed"


def test_the_page_offers_cancel_only_for_coming_bookings(client, login_as, team):
    login_as(team.manager)
    body = client.get(PAGE, query_string={"view": "all"}).get_data(as_text=True)
    assert f"/bookings/{team.anna_coming.id}/cancel" in body
    assert f"/bookings/{team.anna_earlier.id}/cancel" not in body
    assert f"/bookings/{team.bo_cancelled.id}/cancel" not in body
    assert f"/bookings/{team.outsider_coming.id}/cancel" not in body


def test_manager_cannot_cancel_another_units_booking(client, login_as, team):
    login_as(team.manager)
    response = client.post(f"/bookings/{team.outsider_coming.id}/cancel", data={"confirmed": "yes"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Booking, team.outsider_coming.id).status == "confirmed"


def test_english_pages_use_24_hour_times_and_unambiguous_dates(client, login_as, team, make):
    """A session at 14:30 on 3 November is never "2:30 PM" nor "11/3/..." in English."""
    import re
    from datetime import datetime, timezone

    year = datetime.now(timezone.utc).year + 1
    autumn = make.session(team.station, start=make.local(year, 11, 3, 14, 30), skills=[team.hlr])
    make.booking(autumn, team.anna)
    team.manager.locale = "en"
    db.session.commit()
    login_as(team.manager)
    body = client.get(PAGE, query_string={"session": autumn.id}).get_data(as_text=True)
    assert f"3 Nov {year} 14:30–16:30" in body
    assert "PM" not in body and f"11/3/{year % 100}" not in body
    detail = client.get(f"/sessions/{autumn.id}").get_data(as_text=True)
    # "2:30" as a time of its own: a page may well show 12:30 or 22:30 (when the booking was made).
    assert "14:30" in detail and not re.search(r"(?<![0-9])2:30", detail) and "PM" not in detail


def _person_options(body):
    import re

    select = body.split('id="person"', 1)[1].split("</select>", 1)[0]
    return re.findall(r"<option([^>]*)>([^<]*)</option>", select)


def test_the_person_filter_sends_the_chosen_person_only(client, login_as, team, make):
    for i in range(20):
        make.participant(team.unit, name=f"Person {i:02d}")
    db.session.commit()
    login_as(team.manager)
    body = client.get(PAGE).get_data(as_text=True)
    assert [label for _attrs, label in _person_options(body)] == ["Alla"]
    assert 'data-picker="staff"' in body and 'data-search-url="/organisations/staff/search"' in body
    chosen = _person_options(client.get(PAGE, query_string={"person": team.bo.id}).get_data(as_text=True))
    assert [label for _attrs, label in chosen] == ["Alla", "Bo Berg"] and "selected" in chosen[1][0]
