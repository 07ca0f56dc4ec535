"""Calendar access rules that a deliberate break once got past the suite (issue 18).

A participant whose booking was cancelled no longer sees the session's `.ics`; a deactivated
user's feeds stop answering, for every kind of feed and for conditional requests too (a 304
would tell a calendar client that its copy is still good).
"""
import pytest

from ktc.accounts.operations import activate_user, deactivate_user
from ktc.bookings.operations import book_team, cancel_booking
from ktc.extensions import db


def _links(user):
    from flask import current_app

    from ktc.calendar.operations import create_feeds

    with current_app.test_request_context():
        return create_feeds(user)


def _path(link):
    return link.url.split("ktc.example.org", 1)[1]


def test_participant_loses_the_session_ics_when_the_booking_is_cancelled(client, login_as, make):
    unit = make.unit()
    manager = make.manager(unit)
    person = make.participant(unit, name="Ebba Ek")
    me = make.participant_user(person)
    session = make.session(make.plain_station(), start=make.future(10))
    booking = book_team(manager, session, [person])[0].booking
    db.session.commit()
    login_as(me)
    assert client.get(f"/calendar/sessions/{session.id}.ics").status_code == 200
    cancel_booking(me, booking, "Kan inte komma")
    db.session.commit()
    assert client.get(f"/calendar/sessions/{session.id}.ics").status_code == 403
    # Booked again, the download opens again: the rule is about the booking, not the person.
    book_team(manager, session, [person])
    db.session.commit()
    assert client.get(f"/calendar/sessions/{session.id}.ics").status_code == 200


def _owner(make, role):
    if role == "participant":
        return make.participant_user()
    if role == "manager":
        return make.manager(make.unit())
    return make.user(role)


@pytest.mark.parametrize("role", ["participant", "manager", "instructor", "admin"])
def test_a_deactivated_owners_feeds_stop_answering(client, make, role):
    make.plain_station(name="HLR")
    owner = _owner(make, role)
    links = _links(owner)
    db.session.commit()
    kinds = {link.kind for link in links}
    assert kinds == {"participant": {"participant"}, "manager": {"unit"}}.get(role, {"instructor", "station"})
    paths = [_path(link) for link in links]
    etags = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        etags[path] = response.headers["ETag"]
        assert client.get(path, headers={"If-None-Match": etags[path]}).status_code == 304

    deactivate_user(owner)
    db.session.commit()
    for path in paths:
        assert client.get(path).status_code == 404, path
        assert client.get(path, headers={"If-None-Match": etags[path]}).status_code == 404, path

    activate_user(owner)
    db.session.commit()
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_a_participant_feed_follows_the_login_to_its_staff_record(client, make):
    """Mutation testing (docs/MUTATION.md): the feed stays with the person the login belongs to, as a participant."""
    me = make.participant_user()
    (link,) = _links(me)
    db.session.commit()
    path = _path(link)
    assert client.get(path).status_code == 200
    someone_else = make.participant()
    me.participant_id = someone_else.id  # the login is linked to another staff record
    db.session.commit()
    assert client.get(path).status_code == 404
    me.participant_id = None  # no staff record at all
    db.session.commit()
    assert client.get(path).status_code == 404
    me.participant_id = link.feed.participant_id
    me.role = "manager"  # still linked, but no longer a participant
    db.session.commit()
    assert client.get(path).status_code == 404
    me.role = "participant"
    db.session.commit()
    assert client.get(path).status_code == 200


def test_station_and_instructor_feeds_stop_when_the_role_changes(client, make):
    """Mutation testing: a station feed needs an admin or instructor as well as an active station."""
    make.plain_station(name="Sårvård")
    instructor = make.user("instructor")
    links = _links(instructor)
    db.session.commit()
    paths = [_path(link) for link in links]
    assert {link.kind for link in links} == {"instructor", "station"}
    assert all(client.get(path).status_code == 200 for path in paths)
    instructor.role = "manager"
    db.session.commit()
    assert [client.get(path).status_code for path in paths] == [404] * len(paths)
