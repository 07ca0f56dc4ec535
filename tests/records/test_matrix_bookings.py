"""The skill matrix knows what is booked, and the seats it offers are those the manager's side can book."""
from datetime import datetime, timedelta, timezone

import pytest

from ktc.bookings.operations import book_team
from ktc.extensions import db


@pytest.fixture
def unit_with_gaps(make):
    org = make.organisation("municipal", name="Vaggeryds kommun")
    unit = make.unit(org, name="Hemtjänst Skillingaryd")
    manager = make.manager(unit, name="Maja Chef")
    hlr = make.skill(code="HLR", name="Hjärt-lungräddning", refresh_months=12)
    sar = make.skill(code="SÅR", name="Sårvård")
    usk = make.profession("Undersköterska", skills=[hlr, sar])
    anna = make.participant(unit, name="Anna Andersson", profession=usk)
    bo = make.participant(unit, name="Bo Berg", profession=usk)
    cilla = make.participant(unit, name="Cilla Carlsson", profession=usk)
    station = make.station(skills=[hlr, sar])
    # 14 December, far enough ahead to be bookable; capacity 1 so the second person waits.
    start = datetime(datetime.now(timezone.utc).year + 1, 12, 14, 8, 0, tzinfo=timezone.utc)
    hlr_session = make.session(station, start=start, skills=[hlr], capacity=1)
    db.session.commit()
    book_team(manager, hlr_session, [anna, bo])
    db.session.commit()
    return type("U", (), locals())


def test_a_booked_gap_says_when_and_a_waiting_one_says_so(client, login_as, unit_with_gaps):
    u = unit_with_gaps
    login_as(u.manager)
    body = client.get("/records/matrix").get_data(as_text=True)
    rows = {name: body.split(f">{name}</a>", 1)[1].split("</tr>", 1)[0] for name in
            ("Anna Andersson", "Bo Berg", "Cilla Carlsson")}
    assert "Bokad 14 dec." in rows["Anna Andersson"]
    assert "Reservlista 14 dec." in rows["Bo Berg"] and "Bokad" not in rows["Bo Berg"]
    assert "Bokad" not in rows["Cilla Carlsson"] and "Reservlista" not in rows["Cilla Carlsson"]
    # Only the HLR cell is booked: SÅR has no session.
    assert rows["Anna Andersson"].count("Bokad") == 1


def test_a_cancelled_booking_no_longer_shows(client, login_as, unit_with_gaps):
    from ktc.bookings.models import Booking
    from ktc.bookings.operations import cancel_booking

    u = unit_with_gaps
    booking = db.session.query(Booking).filter_by(participant_id=u.anna.id).one()
    cancel_booking(u.manager, booking)
    db.session.commit()
    login_as(u.manager)
    row = client.get("/records/matrix").get_data(as_text=True).split(">Anna Andersson</a>", 1)[1].split("</tr>")[0]
    assert "Bokad" not in row


def test_the_csv_says_what_is_booked(client, login_as, unit_with_gaps):
    login_as(unit_with_gaps.manager)
    text = client.get("/records/matrix?format=csv").get_data(as_text=True)
    anna = next(line for line in text.splitlines() if line.startswith("Anna"))
    assert "(bokad " in anna
    bo = next(line for line in text.splitlines() if line.startswith("Bo "))
    assert "(på reservlistan " in bo


def test_the_legend_explains_the_codes(client, login_as, unit_with_gaps):
    login_as(unit_with_gaps.manager)
    body = client.get("/records/matrix").get_data(as_text=True)
    legend = body.split('<details class="legend">', 1)[1].split("</details>", 1)[0]
    assert "<dt>HLR</dt><dd>Hjärt-lungräddning</dd>" in legend
    assert "Aldrig tränad på KTC" in legend


@pytest.fixture
def held_seats(make):
    """Capacity 4, two seats held for each side until 72 hours before; one municipal seat taken.

    Three seats are free, but the municipality may take only capacity − held = 2, so 1 more."""
    kommun = make.organisation("municipal", name="Gnosjö kommun")
    unit = make.unit(kommun, name="Hemtjänst Gnosjö")
    manager = make.manager(unit, name="Maja Chef")
    sar = make.skill(code="SÅR", name="Sårvård")
    usk = make.profession("Undersköterska", skills=[sar])
    people = [make.participant(unit, name=f"Person {i}", profession=usk) for i in range(3)]
    session = make.session(make.station(skills=[sar]), start=make.future(20), capacity=4, min_per_side=2,
                           skills=[sar])
    make.booking(session, make.participant(make.unit(kommun, name="Annan enhet")))
    db.session.commit()
    return type("H", (), locals())


def test_matrix_offers_the_seats_the_managers_side_can_book(client, login_as, held_seats):
    login_as(held_seats.manager)
    body = client.get("/records/matrix").get_data(as_text=True)
    upcoming = body.split('id="upcoming"', 1)[1]
    assert "1 plats som du kan boka" in upcoming
    assert "3 platser" not in upcoming


def test_booking_page_says_what_the_managers_side_can_book(client, login_as, held_seats):
    login_as(held_seats.manager)
    body = client.get(f"/bookings/team?session={held_seats.session.id}").get_data(as_text=True)
    assert "Kommunsidan kan boka 1 plats nu." in body
    assert "Regionsidan" not in body
    assert "Bokade: 1 från kommunen, 0 från regionen" in body


def test_a_result_with_waitlisted_people_is_a_warning_not_a_success(client, login_as, held_seats):
    h = held_seats
    login_as(h.manager)
    body = client.post("/bookings/team", data={
        "session": h.session.id, "participant_ids": [p.id for p in h.people[:2]]}, follow_redirects=True).get_data(as_text=True)
    assert "1 bekräftade, 1 på reservlistan" in body
    assert "flash--warning" in body and "Alla fick inte plats." in body
    assert "flash--success" not in body


def test_a_result_where_everyone_got_a_seat_is_a_success(client, login_as, held_seats):
    h = held_seats
    login_as(h.manager)
    body = client.post("/bookings/team", data={
        "session": h.session.id, "participant_ids": [h.people[0].id]}, follow_redirects=True).get_data(as_text=True)
    assert "flash--success" in body and "flash--warning" not in body
