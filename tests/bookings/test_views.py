"""Team booking and own bookings through the screens."""
import re
from datetime import timedelta

import pytest

from ktc.bookings.models import Booking
from ktc.extensions import db


@pytest.fixture
def team(make):
    org = make.organisation("municipal", name="Värnamo kommun")
    unit = make.unit(org, name="Hemtjänst Centrum")
    other = make.unit(org, name="Särskilt boende Björkgården")
    manager = make.manager(unit, name="Maja Chef")
    staff = [make.participant(unit, name=f"Undersköterska {i}") for i in range(4)]
    outsider = make.participant(other, name="Någon Annan")
    session = make.session(capacity=2)
    db.session.commit()
    return type("T", (), locals())


def test_manager_books_team_and_sees_result_per_person(client, login_as, team):
    login_as(team.manager)
    page = client.get(f"/bookings/team?session={team.session.id}").get_data(as_text=True)
    assert "Undersköterska 0" in page and "Någon Annan" not in page
    ids = [team.staff[2].id, team.staff[0].id, team.staff[1].id]
    response = client.post("/bookings/team", data={"session": team.session.id, "participant_ids": ids})
    # Post/Redirect/Get: the booking is saved, and its result is a page of its own.
    assert response.status_code == 303
    assert response.location == f"/bookings/team/result?session={team.session.id}"
    statuses = {b.participant_id: b.status for b in db.session.query(Booking)}
    assert statuses == {team.staff[2].id: "confirmed", team.staff[0].id: "confirmed", team.staff[1].id: "waitlisted"}
    response = client.get(response.location)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 bekräftade, 1 på reservlistan" in body
    # Each person as ticked, with their outcome and the reason of the one who got no seat.
    rows = re.findall(r'<tr><td data-label="Namn">([^<]+)</td><td data-label="Resultat">.*?</td>'
                      r'<td data-label="Orsak">([^<]*)</td></tr>', body)
    assert rows == [("Undersköterska 2", ""), ("Undersköterska 0", ""),
                    ("Undersköterska 1", "Tillfället är fullbokat.")]


def _without_csrf(page):
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', page)


def test_the_result_page_shows_the_result_again_and_books_nothing_more(client, login_as, team):
    """Reloading the result page (or coming back to it) shows the same result: it does not post the
    booking again, and the seats it shows are the session's as they are now."""
    login_as(team.manager)
    location = client.post("/bookings/team", data={"session": team.session.id,
                                                   "participant_ids": [team.staff[0].id]}).location
    first = client.get(location).get_data(as_text=True)
    again = client.get(location)
    # The same page, but for its forms' CSRF tokens: each is signed with the second it was made in.
    assert again.status_code == 200 and _without_csrf(again.get_data(as_text=True)) == _without_csrf(first)
    assert "1 bekräftade, 0 på reservlistan, 0 inte bokade" in first
    assert db.session.query(Booking).count() == 1
    from ktc.bookings.operations import cancel_booking

    cancel_booking(team.manager, db.session.query(Booking).one())
    db.session.commit()
    assert "2 av 2 lediga" in client.get(location).get_data(as_text=True)


def test_the_result_page_of_no_booking_made_sends_to_the_booking_form(client, login_as, team, make):
    """Without a booking of that session in this sign-in (another session's, none, or signed out and in
    again), the result page is the session's booking form; a participant gets no such page at all."""
    login_as(team.manager)
    other = make.session(capacity=2)
    db.session.commit()
    assert client.get(f"/bookings/team/result?session={team.session.id}").location == \
        f"/bookings/team?session={team.session.id}"
    client.post("/bookings/team", data={"session": other.id, "participant_ids": [team.staff[0].id]})
    assert client.get(f"/bookings/team/result?session={team.session.id}").location == \
        f"/bookings/team?session={team.session.id}"
    assert client.get(f"/bookings/team/result?session={other.id}").status_code == 200
    client.post("/logout")
    login_as(team.manager)
    assert client.get(f"/bookings/team/result?session={other.id}").status_code == 302
    login_as(make.participant_user(team.staff[3]))
    assert client.get(f"/bookings/team/result?session={other.id}").status_code == 403


def test_the_result_page_names_only_people_the_user_still_books(client, login_as, team):
    """The result page reads the people's names again, as the user may see them now: someone moved to
    another unit since is left out rather than shown to their old manager."""
    login_as(team.manager)
    location = client.post("/bookings/team", data={
        "session": team.session.id, "participant_ids": [team.staff[0].id, team.staff[1].id]}).location
    team.staff[1].unit = team.outsider.unit
    db.session.commit()
    body = client.get(location).get_data(as_text=True)
    assert "Undersköterska 0" in body and "Undersköterska 1" not in body


def test_all_or_nothing_refuses_and_saves_nothing(client, login_as, team):
    login_as(team.manager)
    response = client.post("/bookings/team", data={
        "session": team.session.id, "participant_ids": [p.id for p in team.staff[:3]], "all_or_nothing": "1"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "ingen bokades" in page
    assert db.session.query(Booking).count() == 0
    # The seats the refused team had claimed before the last one did not fit were given back: the page
    # shows the session as it is, not as the rolled-back claims left it.
    assert "Bokade: 0 från kommunen, 0 från regionen · 2 av 2 lediga" in page


def test_a_refusal_after_a_seat_was_claimed_shows_the_seats_as_they_are(client, login_as, team, monkeypatch):
    """A booking refused after its seat claim (here: the session cancelled meanwhile, as the INSERT
    finds it) is rolled back: the page it answers with shows the session's seats as saved."""
    from ktc.bookings import operations

    def cancelled_meanwhile(*args, **kwargs):
        raise operations.SessionNotBookable()

    monkeypatch.setattr(operations, "_insert_booking", cancelled_meanwhile)
    login_as(team.manager)
    response = client.post("/bookings/team", data={"session": team.session.id, "participant_ids": [team.staff[0].id]})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Bokade: 0 från kommunen, 0 från regionen · 2 av 2 lediga" in page
    assert db.session.query(Booking).count() == 0


def test_manager_cannot_book_other_units_people(client, login_as, team):
    login_as(team.manager)
    response = client.post("/bookings/team", data={"session": team.session.id, "participant_ids": [team.outsider.id]})
    assert response.status_code == 403
    assert db.session.query(Booking).count() == 0


def test_double_booking_shows_reason(client, login_as, team):
    login_as(team.manager)
    data = {"session": team.session.id, "participant_ids": [team.staff[0].id]}
    client.post("/bookings/team", data=data)
    body = client.post("/bookings/team", data=data, follow_redirects=True).get_data(as_text=True)
    assert "Redan bokad på det här tillfället" in body


def test_booking_after_cutoff_is_refused_with_message(client, login_as, team, make):
    soon = make.session(start=make.future(days=0) + timedelta(hours=30))
    soon.start_at = soon.start_at.replace()  # keep the factory's time
    db.session.commit()
    from datetime import datetime, timezone

    soon.start_at = datetime.now(timezone.utc) + timedelta(hours=5)
    soon.end_at = soon.start_at + timedelta(hours=2)
    db.session.commit()
    login_as(team.manager)
    response = client.post("/bookings/team", data={"session": soon.id, "participant_ids": [team.staff[0].id]})
    assert response.status_code == 409
    assert "Bokning och avbokning stängde 24 timmar före start" in response.get_data(as_text=True)
    assert db.session.query(Booking).count() == 0


def test_participant_sees_and_cancels_own_booking(client, login_as, team, make):
    from ktc.bookings.operations import book_team

    booking = book_team(team.manager, team.session, [team.staff[0]])[0].booking
    other = book_team(team.manager, team.session, [team.staff[1]])[0].booking
    me = make.participant_user(team.staff[0])
    db.session.commit()
    login_as(me)
    page = client.get("/bookings/mine").get_data(as_text=True)
    assert "Mina bokningar" in page and "Bekräftad" in page
    assert client.post(f"/bookings/{other.id}/cancel").status_code == 404
    response = client.post(f"/bookings/{booking.id}/cancel", data={"reason": "Sjuk", "next": "/bookings/mine", "confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(booking), booking.id).status == "cancelled"
    assert db.session.get(type(other), other.id).status == "confirmed"


def test_the_order_of_ticking_decides_who_gets_the_seats(client, login_as, team):
    """Browsers send boxes in page order; the page's script sends the ticking order alongside."""
    login_as(team.manager)
    in_page_order = [team.staff[0].id, team.staff[1].id, team.staff[3].id]
    ticked = [team.staff[3].id, team.staff[1].id, team.staff[0].id]
    client.post("/bookings/team", data={"session": team.session.id, "participant_ids": in_page_order,
                                        "tick_order": ",".join(map(str, ticked))})
    statuses = {b.participant_id: b.status for b in db.session.query(Booking)}
    assert statuses == {team.staff[3].id: "confirmed", team.staff[1].id: "confirmed",
                        team.staff[0].id: "waitlisted"}


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_a_session_that_has_started_explains_itself_instead_of_offering_a_form(client, login_as, team, make, role):
    from datetime import datetime, timezone

    started = make.session(start=datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=30))
    db.session.commit()
    login_as(team.manager if role == "manager" else make.user("admin"))
    db.session.commit()
    body = client.get(f"/bookings/team?session={started.id}").get_data(as_text=True)
    assert "började kl." in body and "så ingen kan längre bokas in på det" in body
    assert 'name="participant_ids"' not in body and "<button" not in body.split("<main")[1].split("</main>")[0]
    assert "kan boka" not in body  # no "can book N seats now" either
