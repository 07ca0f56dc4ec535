"""A participant's booking cards: where, the session page, when cancelling closed, cancel asked first."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.database import utcnow
from ktc.extensions import db


def _card(text, booking):
    return re.search(rf'<li class="card booking-card" id="booking-{booking.id}">(.*?)</li>', text, re.S).group(1)


def test_cards_show_where_link_the_session_and_say_when_cancelling_closed(client, login_as, make):
    centre = make.centre(name="KTC Sundsvall", address="Storgatan 1, Sundsvall")
    station = make.station(centre, name="Kateter och sårvård")
    person = make.participant(name="Alva Andersson")
    user = make.participant_user(person)
    open_session = make.session(station, start=make.future(10), notes="Ta med egna skor.")
    # 24 h cut-off by default: a session 5 hours away can no longer be cancelled by the participant.
    soon = make.session(station, start=utcnow() + timedelta(hours=5), title="Sårvård akut")
    open_booking, closed_booking = make.booking(open_session, person), make.booking(soon, person)
    db.session.commit()
    login_as(user)
    text = client.get("/bookings/mine").get_data(as_text=True)

    card = _card(text, open_booking)
    assert "Station: Kateter och sårvård" in card and "KTC Sundsvall, Storgatan 1, Sundsvall" in card
    assert f'href="/sessions/{open_session.id}"' in card and "läs dem på tillfällets sida" in card
    assert "Avboka…" in card and "Du kan avboka till och med" in card

    card = _card(text, closed_booking)
    assert f'href="/sessions/{soon.id}"' in card
    assert "Avboka…" not in card
    closed_at = (soon.start_at - timedelta(hours=24)).astimezone(ZoneInfo("Europe/Stockholm"))
    assert f"Avbokning stängde {closed_at.day} " in card and f"{closed_at:%H:%M} (24 timmar före start)." in card


def test_cancel_from_a_card_asks_first_and_changes_nothing_until_confirmed(client, login_as, make):
    person = make.participant()
    user = make.participant_user(person)
    booking = make.booking(make.session(start=make.future(10)), person)
    db.session.commit()
    login_as(user)
    response = client.post(f"/bookings/{booking.id}/cancel", data={"next": "/bookings/mine"})
    assert response.status_code == 200 and 'name="confirmed" value="yes"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.execute(select(Booking.status).where(Booking.id == booking.id)).scalar_one() == "confirmed"
