"""The bench's in-process booking figure is a booking: the people it books come once each, so none
is refused as an overlap with a session of the same hour it booked them into a moment before."""
from datetime import timedelta

from bench import measure
from ktc.bookings.operations import book_team
from ktc.extensions import db


def test_booking_slots_name_each_person_once_and_every_slot_books(make):
    unit = make.unit()
    manager = make.manager(unit)
    people = [make.participant(unit) for _ in range(4)]
    start = make.future() + timedelta(days=5)
    # Two stations, the same hour: a person booked into one would be refused the other.
    sessions = [make.session(make.station(), start=start, capacity=8) for _ in range(2)]
    db.session.commit()

    slots = measure.booking_slots(manager, unit.id, 4)

    assert len(slots) == 4
    assert len({pid for _, pid in slots}) == 4
    assert {sid for sid, _ in slots} == {s.id for s in sessions}
    by_id = {p.id: p for p in people}
    for session_id, pid in slots:
        session = next(s for s in sessions if s.id == session_id)
        (result,) = book_team(manager, session, [by_id[pid]])
        assert result.status == "confirmed", result.reason
