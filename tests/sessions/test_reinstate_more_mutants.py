"""Reinstating a cancelled session, pinned down after the fourth mutation run (issue 18,
docs/MUTATION.md): mutants of `restore_bookings` that passed the booking rule's tests.
"""
from datetime import timedelta

from sqlalchemy import select

from ktc.bookings.operations import book_team
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.sessions.operations import cancel_session, reinstate_session


def _one_seated_one_waiting(make):
    """A one-seat session eight days ahead, booked by an admin: one person seated, one waiting."""
    admin = make.user("admin")
    unit = make.unit(make.organisation("municipal"))
    seated, waiting = (make.participant(unit, name=n) for n in ("Maja Ek", "Olle Berg"))
    start = make.future(8)
    session = make.session(make.plain_station(), start=start, capacity=1)
    seat, queue = (r.booking for r in book_team(admin, session, [seated, waiting]))
    return admin, session, start, seat, queue


def test_people_given_back_their_seat_or_their_place_in_the_queue_are_told_which(make):
    """Mutants: the mail after reinstatement chosen by another comparison (`!=`, `"XXconfirmedXX"`,
    `"CONFIRMED"`): the person with a seat back was told they were waiting (and with `!=` the one
    waiting that they had a seat)."""
    admin, session, start, seat, queue = _one_seated_one_waiting(make)
    assert (seat.status, queue.status) == ("confirmed", "waitlisted")
    cancel_session(admin, session, "Strömavbrott")
    db.session.flush()
    before = set(db.session.execute(select(OutboxMessage.id)).scalars())

    reinstate_session(admin, session, now=start - timedelta(days=5))

    assert (seat.status, queue.status) == ("confirmed", "waitlisted")
    told = set(db.session.execute(
        select(OutboxMessage.booking_id, OutboxMessage.kind).where(OutboxMessage.id.not_in(before))).all())
    assert (seat.id, "booking_confirmed") in told
    # The one waiting is told again too: their first "waiting" message was followed by "cancelled".
    assert (queue.id, "booking_waitlisted") in told
    assert (seat.id, "booking_waitlisted") not in told and (queue.id, "booking_confirmed") not in told


def test_a_session_reinstated_twice_tells_the_one_waiting_each_time_at_the_moment_given(make):
    """Mutants (session 9): the reinstated e-mail's de-duplication key without the moment of the
    reinstatement (`_moment(None)`), or with the condition inverted (the key of the first 'waiting'
    e-mail): after a second cancel and reinstatement the person waiting heard nothing, their last
    word being "cancelled". And `restore_bookings` ignoring the moment it is given (`now and
    utcnow()`): the seat given back was confirmed at another time than the reinstatement's."""
    admin, session, start, seat, queue = _one_seated_one_waiting(make)
    for days in (6, 5):
        cancel_session(admin, session, "Strömavbrott")
        db.session.flush()
        before = set(db.session.execute(select(OutboxMessage.id)).scalars())
        moment = start - timedelta(days=days)
        reinstate_session(admin, session, now=moment)
        told = set(db.session.execute(
            select(OutboxMessage.booking_id, OutboxMessage.kind).where(OutboxMessage.id.not_in(before))).all())
        assert (queue.id, "booking_waitlisted") in told
        assert (seat.status, seat.confirmed_at) == ("confirmed", moment)
