"""Per-object permissions: a manager of unit A cannot reach unit B's people, bookings, records,
calendar files or personal data; a participant reaches only their own; an instructor only their sessions."""
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.organisations.models import Participant

from tests.security import world

DENIED = (403, 404)


def _reads(w, person, booking):
    return [
        f"/records/participants/{person.id}",
        f"/records/participants/{person.id}/certificate",
        f"/privacy/participants/{person.id}/export",
        f"/calendar/bookings/{booking.id}.ics",
    ]


def test_manager_of_unit_a_cannot_reach_unit_b(client, login_as, make):
    w = world.build(make)
    login_as(w.manager_a)
    for path in _reads(w, w.person_a, w.booking_a):
        assert client.get(path).status_code == 200, path  # the control: their own unit works
    for path in _reads(w, w.person_b, w.booking_b):
        assert client.get(path).status_code in DENIED, path
    assert client.get(f"/records/matrix?unit={w.unit_b.id}").status_code in DENIED
    assert w.person_b.name not in client.get("/records/matrix").get_data(as_text=True)
    team_page = client.get(f"/bookings/team?session={w.future.id}").get_data(as_text=True)
    assert w.person_a.name in team_page and w.person_b.name not in team_page

    # Writes: cancel B's booking, book B's person, erase B's person.
    assert client.post(f"/bookings/{w.future_b.id}/cancel").status_code in DENIED
    assert client.post(f"/bookings/team?session={w.future.id}",
                       data={"participant_ids": [w.person_b.id]}).status_code in DENIED
    assert client.post(f"/privacy/participants/{w.person_b.id}/erase").status_code in DENIED
    db.session.expire_all()
    assert db.session.get(Booking, w.future_b.id).status == "confirmed"
    assert db.session.query(Booking).filter_by(participant_id=w.person_b.id).count() == 2
    assert db.session.get(Participant, w.person_b.id).name == "Bo Berg"


def test_manager_api_token_reaches_only_their_units(client, make):
    from ktc.accounts.operations import issue_api_token

    w = world.build(make)
    token = issue_api_token(w.manager_a)
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/participants/{w.person_a.id}/skills", headers=auth).status_code == 200
    assert client.get(f"/api/v1/participants/{w.person_b.id}/skills", headers=auth).status_code in DENIED


def test_participant_sees_only_their_own(client, login_as, make):
    w = world.build(make)
    login_as(w.user_a)
    assert client.get(f"/records/participants/{w.person_a.id}").status_code == 200
    assert client.get(f"/calendar/bookings/{w.booking_a.id}.ics").status_code == 200
    for path in _reads(w, w.person_b, w.booking_b):
        assert client.get(path).status_code in DENIED, path
    assert client.get(f"/calendar/sessions/{w.future.id}.ics").status_code in DENIED  # not booked there
    assert w.person_b.name not in client.get("/bookings/mine").get_data(as_text=True)
    assert client.post(f"/bookings/{w.future_b.id}/cancel").status_code in DENIED
    assert client.get(f"/records/sessions/{w.past.id}/roster").status_code in DENIED
    assert client.get(f"/bookings/team?session={w.future.id}").status_code in DENIED
    db.session.expire_all()
    assert db.session.get(Booking, w.future_b.id).status == "confirmed"


def test_instructor_records_only_their_own_sessions(client, login_as, make):
    w = world.build(make)
    assert client.get(f"/records/sessions/{w.past.id}/roster").status_code == 302  # not logged in
    login_as(w.instructor)
    assert client.get(f"/records/sessions/{w.past.id}/roster").status_code == 200
    login_as(make.user("instructor"))
    assert client.get(f"/records/sessions/{w.past.id}/roster").status_code in DENIED
    response = client.post(f"/records/sessions/{w.past.id}/roster/all")
    assert response.status_code in DENIED
    from ktc.records.models import SkillRecord

    assert db.session.query(SkillRecord).count() == 0
