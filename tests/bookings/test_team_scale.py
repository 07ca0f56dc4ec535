"""The team booking form at county scale: admins filter by unit or search, managers keep their list."""
import pytest

from ktc.bookings.models import Booking
from ktc.extensions import db


@pytest.fixture
def county(make):
    kommun = make.organisation("municipal", name="Sundsvalls kommun")
    region = make.organisation("regional", name="Region Västernorrland")
    home_care = make.unit(kommun, name="Hemtjänst Centrum")
    ward = make.unit(region, name="Medicinavdelning 3")
    nights = make.unit(kommun, name="Hemtjänst Natt")
    alva = make.participant(home_care, name="Alva Andersson")
    elin = make.participant(home_care, name="Elin Berg")
    peter = make.participant(ward, name="Peter Strand")
    nils = make.participant(nights, name="Nils Natt")
    session = make.session(capacity=6)
    admin = make.user("admin")
    manager = make.manager(home_care)
    two_units = make.manager(home_care, nights)
    db.session.commit()
    return type("County", (), locals())


def _boxes(page):
    return page.count('name="participant_ids"')


def test_an_admin_gets_no_list_of_everyone_but_a_unit_filter_and_the_search(client, login_as, county):
    login_as(county.admin)
    page = client.get(f"/bookings/team?session={county.session.id}").get_data(as_text=True)
    assert _boxes(page) == 0 and "Alva Andersson" not in page
    assert '<select id="unit" name="unit"' in page and "Medicinavdelning 3" in page
    assert 'data-picker="staff"' in page and 'data-search-url="/organisations/staff/search"' in page
    page = client.get(f"/bookings/team?session={county.session.id}&unit={county.ward.id}").get_data(as_text=True)
    assert _boxes(page) == 1 and "Peter Strand" in page and "Alva Andersson" not in page


def test_people_from_several_units_are_booked_in_the_order_ticked(client, login_as, county):
    login_as(county.admin)
    response = client.post(f"/bookings/team?session={county.session.id}&unit={county.ward.id}", data={
        "session": county.session.id, "participant_ids": [county.alva.id, county.peter.id, county.nils.id],
        "tick_order": f"{county.nils.id},{county.peter.id},{county.alva.id}"}, follow_redirects=True)
    assert response.status_code == 200
    bookings = db.session.query(Booking).order_by(Booking.id).all()
    assert [b.participant_id for b in bookings] == [county.nils.id, county.peter.id, county.alva.id]


def test_a_manager_keeps_the_checkbox_list_and_filters_only_their_own_units(client, login_as, county):
    login_as(county.manager)
    page = client.get(f"/bookings/team?session={county.session.id}").get_data(as_text=True)
    assert _boxes(page) == 2 and 'id="unit"' not in page and 'data-picker="staff"' not in page
    login_as(county.two_units)
    page = client.get(f"/bookings/team?session={county.session.id}").get_data(as_text=True)
    assert _boxes(page) == 3 and 'id="unit"' in page and "Medicinavdelning 3" not in page
    page = client.get(f"/bookings/team?session={county.session.id}&unit={county.nights.id}").get_data(as_text=True)
    assert _boxes(page) == 1 and "Nils Natt" in page
    assert client.get(f"/bookings/team?session={county.session.id}&unit={county.ward.id}").status_code == 404
