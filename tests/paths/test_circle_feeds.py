"""Study circle meetings in the calendar feeds: a member's, their unit's and the facilitator's feed
show them, and every change to what a meeting's event shows (and only such a change) renews the
feeds it reaches, through the same stored validator as the sessions."""
from datetime import timedelta

import pytest
from icalendar import Calendar

from ktc.calendar import operations as calendar_ops
from ktc.extensions import db
from ktc.paths import circles
from ktc.paths import operations as ops
from ktc.paths.models import CircleMeeting, StudyCircle


def _links(user):
    from flask import current_app

    with current_app.test_request_context():
        return calendar_ops.create_feeds(user)


def _feed(user, kind):
    (link,) = [link for link in _links(user) if link.kind == kind]
    return link.url.split("ktc.example.org", 1)[1]


@pytest.fixture
def world(make):
    path = ops.create_path("Psyk E-bas")
    film = ops.add_step(path, "module", title="Föreläsning 1", url="https://example.org/1", due_days=30)
    kommun = make.unit(make.organisation("municipal", name="Gislaveds kommun"), name="Boendestöd")
    region = make.unit(make.organisation("regional", name="Region Jönköpings län"), name="Öppenvården")
    anna = make.participant(kommun, name="Anna Boendestöd")
    rolf = make.participant(region, name="Rolf Region")
    bo = make.participant(kommun, name="Bo Utanför")
    facilitator = make.user("instructor", name="Frida Handledare")
    other_instructor = make.user("instructor", name="Ingrid Annan")
    circle = circles.create_circle("Psyk E-bas Gislaved", path, facilitator, [anna, rolf])
    start = make.future(20, hour=13)
    meeting = circles.plan_meeting(facilitator, circle, start, start + timedelta(hours=2),
                                   "Vårdcentralen Gislaved, konferensrummet", "Föreläsning 1", [film.id])
    feeds = {
        "anna": _feed(make.participant_user(anna), "participant"),
        "rolf": _feed(make.participant_user(rolf), "participant"),
        "bo": _feed(make.participant_user(bo), "participant"),
        "kommun": _feed(make.manager(kommun), "unit"),
        "region": _feed(make.manager(region), "unit"),
        "facilitator": _feed(facilitator, "instructor"),
        "other": _feed(other_instructor, "instructor"),
    }
    db.session.commit()
    return {"feeds": feeds, "circle_id": circle.id, "meeting_id": meeting.id, "film": film, "bo": bo,
            "facilitator": facilitator, "other": other_instructor}


def _events(client, path):
    response = client.get(path)
    assert response.status_code == 200
    cal = Calendar.from_ical(response.data)
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}, response.headers["ETag"]


def _etags(client, feeds):
    return {name: client.get(path).headers["ETag"] for name, path in feeds.items()}


def _changed(client, feeds, before):
    after = _etags(client, feeds)
    return {name for name in feeds if after[name] != before[name]}, after


def test_members_units_and_the_facilitator_see_the_meeting_in_their_feeds(client, world):
    feeds = world["feeds"]
    anna, _ = _events(client, feeds["anna"])
    event = anna["Psyk E-bas Gislaved: Föreläsning 1"]
    assert str(event["UID"]).startswith("circle-") and str(event["LOCATION"]).startswith("Vårdcentralen Gislaved")
    assert event["DTSTART"].dt.tzinfo.key == "Europe/Stockholm" and event["DTSTART"].dt.hour == 13
    assert "ORGANIZER" not in event and "ATTENDEE" not in event
    assert "Föreläsning 1" in str(event["DESCRIPTION"]) and "Frida Handledare" in str(event["DESCRIPTION"])
    assert set(_events(client, feeds["rolf"])[0]) == {"Psyk E-bas Gislaved: Föreläsning 1"}
    kommun, _ = _events(client, feeds["kommun"])
    unit_event = kommun["Psyk E-bas Gislaved: Föreläsning 1 (1 från enheten)"]
    assert "Anna Boendestöd" in str(unit_event["DESCRIPTION"]) and "Bo Utanför" not in str(unit_event["DESCRIPTION"])
    assert set(_events(client, feeds["facilitator"])[0]) == {"Psyk E-bas Gislaved: Föreläsning 1"}
    # Not a member, not their circle.
    assert _events(client, feeds["bo"])[0] == {}
    assert _events(client, feeds["other"])[0] == {}


def test_every_change_to_a_meeting_renews_the_feeds_it_reaches_and_only_those(client, world, make):
    feeds = world["feeds"]
    tags = _etags(client, feeds)
    facilitator = db.session.get(type(world["facilitator"]), world["facilitator"].id)

    # Moved: the members', their units' and the facilitator's feeds; a higher SEQUENCE.
    meeting = db.session.get(CircleMeeting, world["meeting_id"])
    start = meeting.start_at + timedelta(days=1)
    circles.update_meeting(facilitator, meeting, start, start + timedelta(hours=2), meeting.location,
                           meeting.topic, [world["film"].id])
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == {"anna", "rolf", "kommun", "region", "facilitator"}
    event = _events(client, feeds["anna"])[0]["Psyk E-bas Gislaved: Föreläsning 1"]
    assert event["SEQUENCE"] == 1 and event["DTSTART"].dt.day == start.astimezone(event["DTSTART"].dt.tzinfo).day

    # Only the topic changes: no invitation, but the feeds show it with a higher SEQUENCE.
    meeting = db.session.get(CircleMeeting, world["meeting_id"])
    circles.update_meeting(facilitator, meeting, meeting.start_at, meeting.end_at, meeting.location,
                           "Film och samtal", [world["film"].id])
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == {"anna", "rolf", "kommun", "region", "facilitator"}
    event = _events(client, feeds["anna"])[0]["Psyk E-bas Gislaved: Film och samtal"]
    assert event["SEQUENCE"] == 2

    # Bo joins the circle: his feed and his unit's; the others' content is unchanged.
    circle = db.session.get(StudyCircle, world["circle_id"])
    circles.update_circle(circle, circle.name, facilitator, [*circle.members, db.session.get(type(world["bo"]),
                                                                                               world["bo"].id)])
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == {"bo", "kommun"}
    assert set(_events(client, feeds["bo"])[0]) == {"Psyk E-bas Gislaved: Film och samtal"}
    assert "Psyk E-bas Gislaved: Film och samtal (2 från enheten)" in _events(client, feeds["kommun"])[0]

    # Another facilitator: the meeting leaves Frida's feed and enters Ingrid's; members see the new name.
    circle = db.session.get(StudyCircle, world["circle_id"])
    other = db.session.get(type(world["other"]), world["other"].id)
    circles.update_circle(circle, circle.name, other, list(circle.members))
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == set(feeds)
    assert _events(client, feeds["facilitator"])[0] == {}
    event = _events(client, feeds["anna"])[0]["Psyk E-bas Gislaved: Film och samtal"]
    assert "Ingrid Annan" in str(event["DESCRIPTION"]) and event["SEQUENCE"] == 3

    # Cancelled: it drops out of every feed.
    circles.cancel_meeting(other, db.session.get(CircleMeeting, world["meeting_id"]))
    db.session.commit()
    changed, tags = _changed(client, feeds, tags)
    assert changed == {"anna", "rolf", "bo", "kommun", "region", "other"}
    assert all(_events(client, path)[0] == {} for path in feeds.values())


def test_an_unchanged_feed_with_a_meeting_answers_304(client, world):
    path = world["feeds"]["anna"]
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(path).data == first.data


def test_a_feed_with_a_session_and_a_meeting_reads_the_same_in_three_parsers(client, make, icaljs):
    """icalendar, vobject and ical.js (which reads the VTIMEZONE itself): a July meeting at 13:00 is 11:00 UTC."""
    from datetime import date

    from tests.calendar.helpers import parse_icalendar, vobject_check

    path = ops.create_path("Psyk E-bas")
    film = ops.add_step(path, "module", title="Föreläsning 1", url="https://example.org/1", due_days=30)
    anna = make.participant(name="Anna Boendestöd")
    make.booking(make.session(start=make.future(10)), anna)
    facilitator = make.user("instructor", name="Frida Handledare")
    circle = circles.create_circle("Psyk E-bas Gislaved", path, facilitator, [anna])
    year = date.today().year + 1
    meeting = circles.plan_meeting(facilitator, circle, make.local(year, 7, 15, 13), make.local(year, 7, 15, 15),
                                   "Vårdcentralen Gislaved", "Föreläsning 1", [film.id])
    feed = _feed(make.participant_user(anna), "participant")
    db.session.commit()
    text = client.get(feed).get_data(as_text=True)
    assert len(parse_icalendar(text).walk("VEVENT")) == 2
    assert len(vobject_check(text).vevent_list) == 2
    (read,) = [e for e in icaljs(text)["events"] if e["uid"].startswith("circle-")]
    assert read["uid"] == f"circle-{meeting.uid}@ktc.example.org"
    assert read["start"].startswith(f"{year}-07-15T11:00:00") and read["end"].startswith(f"{year}-07-15T13:00:00")
