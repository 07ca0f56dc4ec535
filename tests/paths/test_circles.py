"""Study circles: mixed members, meetings with calendar invitations, attendance and steps on one roster."""
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from ktc.errors import Conflict, PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.paths import circles
from ktc.paths import operations as ops
from ktc.paths.models import CircleAttendance, PathAssignment, StepCompletion


@pytest.fixture
def circle(make):
    path = ops.create_path("Psyk E-bas")
    film = ops.add_step(path, "module", title="Föreläsning 1", url="https://example.org/1", due_days=30)
    meeting_step = ops.add_step(path, "circle", title="Träff 1", due_days=30, prerequisite_ids=[film.id])
    kommun = make.unit(make.organisation("municipal", name="Gislaveds kommun"), name="Boendestöd")
    region = make.unit(make.organisation("regional", name="Region Jönköpings län"), name="Psykiatriska öppenvården")
    anna = make.participant(kommun, name="Anna Boendestöd", email="anna@example.org")
    rolf = make.participant(region, name="Rolf Region", email="rolf@example.org")
    facilitator = make.user("instructor", name="Frida Handledare")
    c = circles.create_circle("Psyk E-bas Gislaved", path, facilitator, [anna, rolf])
    return c, facilitator, (film, meeting_step), (anna, rolf)


def _messages(kind):
    return db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.recipient)).scalars().all()


def test_members_from_both_sides_join_the_path(circle):
    c, _f, _steps, (anna, rolf) = circle
    assert {a.participant_id: a.source for a in db.session.query(PathAssignment)} == {anna.id: "circle",
                                                                                      rolf.id: "circle"}
    assert {m.unit.organisation.side for m in c.members} == {"municipal", "regional"}


def test_a_meeting_invites_every_member_and_a_move_updates_the_same_event(make, circle):
    c, facilitator, (film, meeting_step), _people = circle
    meeting = circles.plan_meeting(facilitator, c, make.local(2027, 3, 30, 13), make.local(2027, 3, 30, 15),
                                   "Vårdcentralen Gislaved, konferensrummet", "Föreläsning 1", [film.id, meeting_step.id])
    invites = _messages("circle_meeting_invited")
    assert [m.recipient for m in invites] == ["anna@example.org", "rolf@example.org"]
    event = Calendar.from_ical(invites[0].ics).walk("VEVENT")[0]
    assert invites[0].ics_method == "REQUEST"
    assert str(event["LOCATION"]) == "Vårdcentralen Gislaved, konferensrummet"
    assert event["DTSTART"].dt.tzinfo.key == "Europe/Stockholm" and event["DTSTART"].dt.hour == 13
    uid = str(event["UID"])
    circles.update_meeting(facilitator, meeting, make.local(2027, 3, 31, 13), make.local(2027, 3, 31, 15),
                           meeting.location, meeting.topic, [film.id])
    moved = Calendar.from_ical(_messages("circle_meeting_changed")[0].ics).walk("VEVENT")[0]
    assert str(moved["UID"]) == uid and moved["SEQUENCE"] == 1
    circles.cancel_meeting(facilitator, meeting)
    circles.cancel_meeting(facilitator, meeting)  # twice: told once
    cancels = _messages("circle_meeting_cancelled")
    assert len(cancels) == 2 and cancels[0].ics_method == "CANCEL"
    cancelled = Calendar.from_ical(cancels[0].ics).walk("VEVENT")[0]
    assert str(cancelled["UID"]) == uid and cancelled["SEQUENCE"] == 2 and str(cancelled["STATUS"]) == "CANCELLED"


def test_only_the_facilitator_or_an_admin_runs_the_circle(make, circle):
    c, _f, _steps, _people = circle
    with pytest.raises(PermissionDenied):
        circles.plan_meeting(make.user("instructor"), c, make.local(2027, 3, 30, 13), make.local(2027, 3, 30, 15),
                             "Någonstans")
    circles.plan_meeting(make.user("admin"), c, make.local(2027, 3, 30, 13), make.local(2027, 3, 30, 15), "Här")


def test_a_meeting_needs_a_place_and_an_end_after_its_start(make, circle):
    c, facilitator, _steps, _people = circle
    with pytest.raises(ValidationError) as caught:
        circles.plan_meeting(facilitator, c, make.local(2027, 3, 30, 13), make.local(2027, 3, 30, 12), "Här")
    assert caught.value.field == "end"
    with pytest.raises(ValidationError) as caught:
        circles.plan_meeting(facilitator, c, make.local(2027, 3, 30, 13), make.local(2027, 3, 30, 15), "  ")
    assert caught.value.field == "location"
    assert _messages("circle_meeting_invited") == []


def test_the_roster_records_attendance_and_the_steps_done(make, circle):
    c, facilitator, (film, meeting_step), (anna, rolf) = circle
    start = make.local(2026, 1, 20, 13)
    meeting = circles.plan_meeting(facilitator, c, start, start + timedelta(hours=2), "Boendestödet, Storgatan 4",
                                   step_ids=[film.id, meeting_step.id])
    # Both steps ticked at once: the film is saved first, so the meeting step's prerequisite holds.
    circles.record_meeting(facilitator, meeting, {anna.id}, {(anna.id, film.id), (anna.id, meeting_step.id)},
                           today=date(2026, 1, 20))
    attendance = {a.participant_id: a.attended for a in db.session.query(CircleAttendance)}
    assert attendance == {anna.id: True, rolf.id: False}
    anna_path = db.session.execute(select(PathAssignment).where(PathAssignment.participant_id == anna.id)).scalar_one()
    progress = ops.progress_for([anna_path], today=date(2026, 1, 21))[0]
    assert progress.complete
    # Ticking a step for someone absent is refused; nothing of that save is kept.
    with pytest.raises(ValidationError, match="Rolf Region"):
        circles.record_meeting(facilitator, meeting, {anna.id}, {(rolf.id, film.id)})
    # Unticking removes the completion again.
    circles.record_meeting(facilitator, meeting, {anna.id}, {(anna.id, film.id)}, today=date(2026, 1, 20))
    assert db.session.query(StepCompletion).count() == 1


def test_attendance_waits_for_the_meeting_to_start(make, circle):
    c, facilitator, (film, _m), (anna, _rolf) = circle
    meeting = circles.plan_meeting(facilitator, c, make.future(5), make.future(5) + timedelta(hours=2), "Här")
    with pytest.raises(Conflict):
        circles.record_meeting(facilitator, meeting, {anna.id}, set())


def test_a_new_member_is_invited_to_the_coming_meetings(make, circle):
    c, facilitator, _steps, (anna, rolf) = circle
    circles.plan_meeting(facilitator, c, make.future(5), make.future(5) + timedelta(hours=2), "Här")
    nils = make.participant(email="nils@example.org")
    circles.update_circle(c, c.name, facilitator, [anna, rolf, nils])
    assert [m.recipient for m in _messages("circle_meeting_invited")] == [
        "anna@example.org", "nils@example.org", "rolf@example.org"]
