"""Answers from the contacts' calendars count as their attendance answers to a meeting."""
from datetime import timedelta


from ktc.calendar.replies import handle_message
from ktc.meetings import operations as ops
from ktc.meetings.ics import uid_for
from tests.calendar import replies_mail as shape


def test_a_calendar_reply_to_a_meeting_invitation_is_the_contacts_answer(make, network):
    start = make.future(20, hour=13)
    meeting = ops.plan_meeting(network["coordinator"], title="Träff", start_at=start, end_at=start + timedelta(hours=2))
    contact, other = network["contacts"]
    uid = uid_for(meeting)
    result = handle_message(shape.gmail(uid, contact.email, "ACCEPTED", sequence=1))
    assert (result.outcome, result.reason) == ("applied", "accepted")
    declined = handle_message(shape.outlook(uid, other.email, "DECLINED", sequence=1))
    assert declined.outcome == "applied"
    answers = {i.user_id: i.answer for i in meeting.invitations}
    assert answers == {contact.id: "accepted", other.id: "declined"}
    # Someone not invited cannot answer for the network.
    stranger = make.user("network")
    assert handle_message(shape.gmail(uid, stranger.email, "ACCEPTED")).reason == "unknown_attendee"


def test_an_answer_to_an_older_version_of_the_meeting_is_set_aside(make, network):
    start = make.future(20, hour=13)
    meeting = ops.plan_meeting(network["coordinator"], title="Träff", start_at=start, end_at=start + timedelta(hours=2))
    later = start + timedelta(days=2)
    ops.update_meeting(network["coordinator"], meeting, title="Träff", start_at=later, end_at=later + timedelta(hours=2))
    contact = network["contacts"][0]
    result = handle_message(shape.gmail(uid_for(meeting), contact.email, "ACCEPTED", sequence=1))
    assert result.reason == "stale_sequence"
    assert ops.invitation_of(meeting, contact).answer == "needs-action"
