"""A booking reads a person's side and a session's place as columns of the query that loads them
(Participant.note_side, Session.place): the noted value holds only while the object still points
where it was read. A person moved to a unit of the other side, or a session moved to another station,
answers from their new unit or station, never from what was noted."""
from sqlalchemy import select

from ktc.bookings.operations import session_to_book, with_side
from ktc.extensions import db
from ktc.organisations.models import Participant


def test_a_noted_side_gives_way_when_the_person_moves_to_the_other_side(make):
    kommun, region = make.unit(side="municipal"), make.unit(side="regional")
    person = make.participant(kommun)
    db.session.commit()
    db.session.expire_all()
    loaded, side = db.session.execute(with_side(select(Participant)).where(Participant.id == person.id)).one()
    loaded.note_side(side)
    assert loaded.side == "municipal"
    loaded.unit = region
    db.session.flush()
    assert loaded.side == "regional"


def test_a_noted_place_gives_way_when_the_session_moves_to_another_station(make):
    first = make.plain_station(name="Kateter")
    other = make.plain_station(make.centre(timezone="Europe/London"), name="Sårvård")
    session = make.session(first)
    db.session.commit()
    db.session.expire_all()
    loaded, _waiting = session_to_book(session.id)
    assert loaded.place == ("Kateter", first.centre.timezone)
    loaded.station = other
    db.session.flush()
    assert loaded.place == ("Sårvård", "Europe/London")
