"""Booking rules that a deliberate break once got past the suite (issue 18).

All or nothing must also refuse the team when one person is *refused* (already booked,
overlapping, inactive) while everyone else fits: before these tests only a team that overflowed
to the waitlist was tried, so a rule written as "refuse when someone is waitlisted" passed.
And a cancelled booking frees the person's time: it must not count as an overlap later.
"""
import pytest
from sqlalchemy import func, select

from ktc.bookings.models import Booking
from ktc.bookings.operations import TeamRefused, book_team, cancel_booking
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.sessions.operations import cancel_session


@pytest.fixture
def team(make):
    kommun = make.organisation("municipal", name="Vetlanda kommun")
    unit = make.unit(kommun, name="Hemtjänst Norra")
    manager = make.manager(unit, name="Mona Chef")
    admin = make.user("admin")
    staff = [make.participant(unit, name=f"Undersköterska {i}") for i in range(4)]
    station = make.plain_station()
    session = make.session(station, start=make.future(10, 9), capacity=8)
    db.session.commit()
    return type("Team", (), locals())


def _counts(session):
    """Stored bookings of the session per status, the seats taken and the outbox size."""
    db.session.expire_all()
    per_status = dict(db.session.execute(
        select(Booking.status, func.count(Booking.id)).where(Booking.session_id == session.id).group_by(Booking.status)
    ).all())
    seats = db.session.execute(
        select(type(session).seats_municipal + type(session).seats_regional).where(type(session).id == session.id)
    ).scalar_one()
    outbox = db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()
    db.session.commit()
    return per_status, seats, outbox


def _make_one_refused(team, make, why):
    """Put staff[0] in a state where booking them into team.session is refused for `why`."""
    person = team.staff[0]
    if why == "already_booked":
        book_team(team.manager, team.session, [person])
    elif why == "overlap":
        overlapping = make.session(make.plain_station(), start=team.session.start_at, capacity=4)
        book_team(team.manager, overlapping, [person])
    elif why == "participant_inactive":
        person.active = False
    db.session.commit()


REFUSALS = ["already_booked", "overlap", "participant_inactive"]


@pytest.mark.parametrize("why", REFUSALS)
def test_all_or_nothing_books_nobody_when_one_person_is_refused(team, make, why):
    _make_one_refused(team, make, why)
    before = _counts(team.session)
    with pytest.raises(TeamRefused) as info:
        book_team(team.manager, team.session, team.staff, all_or_nothing=True)
    db.session.rollback()
    results = info.value.results
    assert [r.status for r in results] == ["refused"] * 4
    assert results[0].code == why
    assert {r.code for r in results[1:]} == {"team_not_bookable"}
    assert all(r.booking is None for r in results)
    assert _counts(team.session) == before


@pytest.mark.parametrize("why", ["already_booked", "overlap"])
def test_team_page_all_or_nothing_saves_nothing_when_one_person_is_refused(client, login_as, team, make, why):
    # The page offers only active staff, so an inactive person cannot be ticked there (the API below can).
    _make_one_refused(team, make, why)
    before = _counts(team.session)
    login_as(team.manager)
    response = client.post("/bookings/team", data={
        "session": team.session.id, "participant_ids": [p.id for p in team.staff], "all_or_nothing": "1"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "ingen bokades" in body
    assert _counts(team.session) == before


@pytest.mark.parametrize("why", REFUSALS)
def test_api_all_or_nothing_saves_nothing_when_one_person_is_refused(client, team, make, why):
    from ktc.accounts.operations import issue_api_token

    _make_one_refused(team, make, why)
    token = issue_api_token(team.manager, "test")
    db.session.commit()
    before = _counts(team.session)
    response = client.post(f"/api/v1/sessions/{team.session.id}/bookings",
                           json={"participant_ids": [p.id for p in team.staff], "all_or_nothing": True},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["code"] == "team_not_bookable"
    results = response.get_json()["results"]
    assert [x["status"] for x in results] == ["refused"] * 4
    assert results[0]["code"] == why
    assert all(x["booking_id"] is None for x in results)
    assert _counts(team.session) == before


def test_a_cancelled_booking_does_not_block_an_overlapping_one(team, make):
    person = team.staff[0]
    first = book_team(team.manager, team.session, [person])[0].booking
    overlapping = make.session(make.plain_station(), start=team.session.start_at, capacity=4)
    assert book_team(team.manager, overlapping, [person])[0].code == "overlap"
    cancel_booking(team.manager, first, "Byter till annan station")
    result = book_team(team.manager, overlapping, [person])[0]
    assert (result.status, result.code) == ("confirmed", None)


def test_a_cancelled_session_does_not_block_an_overlapping_booking(team, make):
    person = team.staff[0]
    book_team(team.manager, team.session, [person])
    cancel_session(team.admin, team.session, "Instruktören är sjuk")
    overlapping = make.session(make.plain_station(), start=team.session.start_at, capacity=4)
    result = book_team(team.manager, overlapping, [person])[0]
    assert (result.status, result.code) == ("confirmed", None)
