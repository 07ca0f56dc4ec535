"""Feed events are serialised once and reused; any change to what an event shows is seen at once."""
from ktc.calendar.operations import create_feeds, render_feed
from ktc.extensions import db

from tests.calendar.helpers import session as session_


def _unit_feed(make):
    unit = make.unit(name="Hemtjänst Väster")
    manager = make.manager(unit)
    station = make.station(name="Kateterrummet", skills=[make.skill(code="KAD", name="KAD-skötsel")])
    session = session_(make, station_=station, start=make.future(20))
    greta = make.participant(unit, name="Greta Lind")
    make.booking(session, greta)
    db.session.commit()
    (link,) = [link for link in create_feeds(manager) if link.kind == "unit"]
    (own,) = [link for link in create_feeds(make.participant_user(greta)) if link.kind == "participant"]
    db.session.commit()
    return link.feed, own.feed, session, station


def test_unchanged_feed_is_byte_identical_and_every_change_shows(app, make):
    with app.test_request_context():
        feed, own, session, station = _unit_feed(make)
        first = render_feed(feed)
        again = render_feed(feed)
        assert first == again and "Kateterrummet" in first and "KAD-skötsel" in first

        # Neither a station's name nor a skill's name changes the session's own columns.
        assert "Kateterrummet" in render_feed(own)
        station.name = "Urinkateter"
        db.session.commit()
        renamed = render_feed(own)
        assert "Kateterrummet" not in renamed and "Urinkateter" in renamed
        station.skills[0].name = "Skötsel av urinkateter"
        db.session.commit()
        renamed = render_feed(own)
        assert "KAD-skötsel" not in renamed and "Skötsel av urinkateter" in renamed
        station.centre.name = "KTC Norr"
        db.session.commit()
        renamed = render_feed(own)
        assert "KTC Norr" in renamed

        # Another person from the unit: the event's description lists the unit's people.
        olle = make.participant(feed.unit, name="Olle Berg")
        db.session.refresh(session)  # the booking factory counts the seat on a loaded session
        make.booking(session, olle)
        db.session.commit()
        more = render_feed(feed)
        assert "Olle Berg" in more and "Greta Lind" in more

        session.title = "Kateterdag"
        db.session.commit()
        retitled = render_feed(feed)
        assert "SUMMARY:Kateterdag" in retitled.replace("\r\n ", "")
