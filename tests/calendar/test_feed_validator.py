"""The feeds' stored validator: a 304 without building the feed, and every change that reaches a
feed (and only such a change) gives it a new ETag and a fresh body."""
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from ktc.bookings.models import Booking
from ktc.calendar import operations
from ktc.database import utcnow
from ktc.extensions import db
from ktc.records.operations import complete_finished_sessions

from tests.calendar.helpers import station as station_


def _path(link):
    return link.url.split("ktc.example.org", 1)[1]


def _links(user):
    from flask import current_app

    with current_app.test_request_context():
        return operations.create_feeds(user)


@pytest.fixture
def world(make):
    """Two units with a manager each, a participant login in unit A, two stations, an instructor."""
    unit_a, unit_b = make.unit(name="Hemtjänst Norr"), make.unit(name="Vårdavdelning 4")
    manager_a, manager_b = make.manager(unit_a), make.manager(unit_b)
    anna = make.participant(unit_a, name="Anna Ek")
    bo = make.participant(unit_b, name="Bo Sund")
    anna_user = make.participant_user(anna)
    instructor = make.user("instructor", name="Ingrid Lärare")
    station_x = station_(make, name="Kateterrummet")
    station_y = station_(make, name="Såromläggning")
    s1 = make.session(station_x, start=make.future(10), instructors=[instructor], title="KAD")
    s2 = make.session(station_y, start=make.future(12), title="Sår")
    make.booking(s1, anna)
    make.booking(s2, bo)
    feeds = {}
    for name, user, kind, key in (("unit_a", manager_a, "unit", None), ("unit_b", manager_b, "unit", None),
                                  ("anna", anna_user, "participant", None),
                                  ("instructor", instructor, "instructor", None),
                                  ("station_x", instructor, "station", station_x.id),
                                  ("station_y", instructor, "station", station_y.id)):
        (feeds[name],) = [link for link in _links(user) if link.kind == kind and link.feed.station_id == key]
    db.session.commit()
    return {"feeds": {name: _path(link) for name, link in feeds.items()}, "anna": anna, "bo": bo,
            "unit_a": unit_a, "unit_b": unit_b, "s1": s1, "s2": s2, "station_y": station_y,
            "instructor": instructor}


def _etags(client, feeds):
    tags = {}
    for name, path in feeds.items():
        response = client.get(path)
        assert response.status_code == 200, name
        tags[name] = response.headers["ETag"]
    return tags


def _changed(client, feeds, before):
    after = _etags(client, feeds)
    return {name for name in feeds if after[name] != before[name]}, after


def test_a_conditional_request_is_one_query_and_builds_nothing(client, world, monkeypatch):
    path = world["feeds"]["unit_a"]
    first = client.get(path)
    assert first.status_code == 200 and b"Anna Ek" in first.data
    monkeypatch.setattr(operations, "feed_content", lambda *a, **k: pytest.fail("a 304 must not build the feed"))
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    # One SELECT (SQLite's own BEGIN aside): the feed, its owner's rights and its stored validator.
    assert [s for s in statements if s.split()[0] != "BEGIN"] == [statements[-1]], statements
    # The body of an unchanged feed comes from the cache too: the same bytes, nothing built.
    assert client.get(path).data == first.data


def test_every_change_that_reaches_a_feed_renews_it_and_only_it(client, world, make):
    feeds = world["feeds"]
    tags = _etags(client, feeds)

    # A second person from unit A is booked into the session at station Y.
    carl = make.participant(db.session.get(type(world["unit_a"]), world["unit_a"].id), name="Carl Ny")
    make.booking(db.session.get(type(world["s2"]), world["s2"].id), carl)
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == {"unit_a"}
    assert "Carl Ny" in client.get(feeds["unit_a"]).get_data(as_text=True)

    # The session Anna is booked on is renamed: her feeds, its station's and its instructor's.
    s1 = db.session.get(type(world["s1"]), world["s1"].id)
    s1.title = "Kateterdag"
    s1.updated_at = utcnow()
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == {"unit_a", "anna", "instructor", "station_x"}
    assert "Kateterdag" in client.get(feeds["anna"]).get_data(as_text=True)

    # Bo (unit B) cancels.
    bo_booking = db.session.execute(select(Booking).filter_by(participant_id=world["bo"].id)).scalar_one()
    bo_booking.status, bo_booking.cancelled_at = "cancelled", utcnow()
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == {"unit_b"}

    # Anna moves to unit B: both units' feeds and her own.
    anna = db.session.get(type(world["anna"]), world["anna"].id)
    anna.unit_id = world["unit_b"].id
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == {"unit_a", "unit_b", "anna"}
    assert "Anna Ek" in client.get(feeds["unit_b"]).get_data(as_text=True)
    assert "Anna Ek" not in client.get(feeds["unit_a"]).get_data(as_text=True)

    # The instructor leaves the session: the instructor's feed and the session's others.
    s1 = db.session.get(type(world["s1"]), world["s1"].id)
    s1.instructors = []
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert "instructor" in changed and "unit_a" not in changed
    assert "KAD" not in client.get(feeds["instructor"]).get_data(as_text=True)

    # Seat counters and e-mail addresses are not shown in any feed.
    s2 = db.session.get(type(world["s2"]), world["s2"].id)
    s2.seats_regional += 1
    db.session.get(type(world["bo"]), world["bo"].id).email = "bo.sund@example.org"
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == set()

    # A station renamed reaches every feed that could show it: all of them are renewed.
    db.session.get(type(world["station_y"]), world["station_y"].id).name = "Sårvård"
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == set(feeds)
    assert "Sårvård" in client.get(feeds["unit_a"]).get_data(as_text=True)

    # A session moved to another station: both stations' feeds.
    s2 = db.session.get(type(world["s2"]), world["s2"].id)
    s2.station_id = world["s1"].station_id
    s2.updated_at = utcnow()
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert {"station_x", "station_y", "unit_a"} <= changed and "anna" not in changed
    assert "Sår" in client.get(feeds["station_x"]).get_data(as_text=True)


def test_sessions_completed_in_bulk_renew_their_feeds(client, world, make):
    """The automatic completion writes with one UPDATE per session, past the ORM; its feeds still change."""
    feeds = world["feeds"]
    anna = db.session.get(type(world["anna"]), world["anna"].id)
    past = make.session(station_(make), start=utcnow() - timedelta(hours=10), title="Förflyttning")
    make.booking(past, anna)
    db.session.commit()
    tags = _etags(client, feeds)
    assert complete_finished_sessions() == [past.id]
    db.session.commit()
    changed, _tags = _changed(client, feeds, tags)
    assert changed == {"unit_a", "anna"}


def test_the_validator_moves_with_the_day_and_the_owner_language(app, client, world):
    token = world["feeds"]["anna"].rsplit("/", 1)[1].removesuffix(".ics")
    now = utcnow()
    with app.test_request_context():
        today = operations.feed_state(token, now)
        assert operations.feed_state(token, now).etag == today.etag
        assert operations.feed_state(token, now + timedelta(days=1)).etag != today.etag
        user = today.feed.owner
        user.locale = "en" if user.locale != "en" else "sv"
        db.session.commit()
        assert operations.feed_state(token, now).etag != today.etag


def test_the_rights_are_checked_on_every_conditional_request(client, world):
    path = world["feeds"]["unit_a"]
    etag = client.get(path).headers["ETag"]
    feed = operations.feed_state(path.rsplit("/", 1)[1].removesuffix(".ics")).feed
    manager = db.session.get(type(world["instructor"]), feed.owner_user_id)
    manager.units = []
    db.session.commit()
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 404


def test_the_cli_renews_every_feed_after_changes_made_outside_ktc(app, client, world):
    """A bulk SQL update bypasses the change tracking; `flask ktc calendar-changed` renews every feed."""
    from sqlalchemy import update

    from ktc.sessions.models import Session

    feeds = world["feeds"]
    tags = _etags(client, feeds)
    db.session.execute(update(Session).where(Session.id == world["s2"].id).values(title="Sår (ändrad)"))
    db.session.commit()
    assert _changed(client, feeds, tags)[0] == set()
    result = app.test_cli_runner().invoke(args=["ktc", "calendar-changed"])
    assert result.exit_code == 0, result.output
    changed, _tags = _changed(client, feeds, tags)
    assert changed == set(feeds)
    assert "Sår (ändrad)" in client.get(feeds["station_y"]).get_data(as_text=True)


def test_a_person_moved_behind_the_objects_back_renews_the_feed_of_the_unit_they_are_in_now(client, world):
    """The stamps take a person's unit from the loaded object only when this transaction locked and
    re-read them; an object loaded without the lock may show a unit they were moved from (here by a
    statement that bypasses the ORM, as another transaction would), and their new unit's feed must
    still change."""
    from sqlalchemy import update

    from ktc.organisations.models import Participant

    feeds = world["feeds"]
    before = _etags(client, feeds)
    anna = db.session.get(Participant, world["anna"].id)  # loaded: unit A
    assert anna.unit_id == world["unit_a"].id
    db.session.execute(update(Participant.__table__).where(Participant.id == anna.id)
                       .values(unit_id=world["unit_b"].id))
    booking = db.session.execute(select(Booking).where(Booking.participant_id == anna.id)).scalar_one()
    booking.status = "cancelled"
    db.session.commit()
    changed, _after = _changed(client, feeds, before)
    assert "unit_b" in changed
