"""Members join, are approved and leave; meetings invite every member contact through their calendars."""
from datetime import timedelta

import icalendar
from sqlalchemy import select

from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.meetings import operations as ops
from ktc.meetings.models import Meeting, NetworkMember


def outbox(kind=None):
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return db.session.execute(stmt).scalars().all()


def event_of(message):
    cal = icalendar.Calendar.from_ical(message.ics)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    assert not cal.errors and not events[0].errors
    return cal, events[0]


def plan(make, network, **kw):
    start = kw.pop("start", make.future(20, hour=13))
    return ops.plan_meeting(network["coordinator"], title=kw.pop("title", "Nätverksträff våren"), start_at=start,
                            end_at=start + timedelta(hours=2), place="KTC Värnamo", **kw)


def test_an_organisation_asks_to_join_is_approved_and_then_invited(client, login_as, make, network):
    user = make.user("network", name="Ny Kontakt")
    db.session.commit()
    login_as(user)
    response = client.post("/network/meetings/members/join", data={"name": "Gislaveds kommun"})
    assert response.status_code == 302
    member = db.session.execute(select(NetworkMember).where(NetworkMember.name == "Gislaveds kommun")).scalar_one()
    assert member.status == "pending"
    meeting = plan(make, network)
    db.session.commit()
    assert user.id not in {i.user_id for i in meeting.invitations}

    login_as(network["coordinator"])
    assert client.post(f"/network/meetings/members/{member.id}/approve").status_code == 302
    db.session.expire_all()
    assert member.status == "member"
    # The coming meeting now invites the new member's contact too.
    assert user.id in {i.user_id for i in meeting.invitations}
    assert any(m.recipient == user.email for m in outbox("meeting_invited"))


def test_only_the_coordinator_approves(client, login_as, network):
    db.session.commit()
    login_as(network["contacts"][0])
    assert client.post(f"/network/meetings/members/{network['pending'].id}/approve").status_code == 403
    db.session.expire_all()
    assert network["pending"].status == "pending"


def test_a_member_leaves_after_confirming_and_is_invited_no_more(client, login_as, make, network):
    contact = network["contacts"][0]
    member = ops.contact_of(contact).member
    db.session.commit()
    login_as(contact)
    first = client.post(f"/network/meetings/members/{member.id}/leave")
    assert first.status_code == 200 and "confirmed" in first.get_data(as_text=True)
    db.session.expire_all()
    assert member.status == "member"
    assert client.post(f"/network/meetings/members/{member.id}/leave", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert member.status == "left" and member.left_at is not None
    meeting = plan(make, network)
    assert contact.id not in {i.user_id for i in meeting.invitations}


def test_another_members_contact_cannot_remove_a_member(client, login_as, network):
    other = ops.contact_of(network["contacts"][1]).member
    db.session.commit()
    login_as(network["contacts"][0])
    assert client.post(f"/network/meetings/members/{other.id}/leave", data={"confirmed": "yes"}).status_code == 403


def test_coordinator_flag_lets_a_network_user_plan(client, login_as, make, network):
    plain = network["contacts"][0]
    db.session.commit()
    login_as(plain)
    assert client.get("/network/meetings/new").status_code == 403
    login_as(network["coordinator"])
    assert client.get("/network/meetings/new").status_code == 200


def test_every_member_contact_gets_a_request_that_parses_like_a_session_invitation(app, make, network):
    meeting = plan(make, network, online_url="https://meet.example.org/ktc")
    db.session.flush()
    messages = outbox("meeting_invited")
    assert sorted(m.recipient for m in messages) == sorted(u.email for u in network["contacts"])
    # The pending organisation is not a member yet.
    assert network["pending_user"].email not in {m.recipient for m in messages}
    cal, event = event_of(messages[0])
    assert messages[0].ics_method == "REQUEST" and str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"{meeting.uid}-meeting@{app.config['KTC_MAIL_DOMAIN']}"
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert event.decoded("DTSTART") == meeting.start_at
    assert int(event["SEQUENCE"]) == 1
    attendee = event["ATTENDEE"]
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION" and attendee.params["RSVP"] == "TRUE"
    assert "https://meet.example.org/ktc" in str(event["LOCATION"])
    assert str(event["ORGANIZER"]).startswith("mailto:")


def test_a_move_sends_an_update_with_a_higher_sequence_and_a_cancel_follows(make, network):
    meeting = plan(make, network)
    uid = str(event_of(outbox("meeting_invited")[0])[1]["UID"])
    later = meeting.start_at + timedelta(days=1)
    ops.update_meeting(network["coordinator"], meeting, title=meeting.title, start_at=later,
                       end_at=later + timedelta(hours=2), place=meeting.place)
    changed = outbox("meeting_changed")
    assert len(changed) == 2
    _cal, event = event_of(changed[0])
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2 and event.decoded("DTSTART") == later
    # Only the agenda changed: calendars show no difference, nobody is bothered.
    ops.update_meeting(network["coordinator"], meeting, title=meeting.title, start_at=later,
                       end_at=later + timedelta(hours=2), place=meeting.place, agenda="1. Välkommen")
    assert len(outbox("meeting_changed")) == 2
    ops.cancel_meeting(network["coordinator"], meeting)
    cancels = outbox("meeting_cancelled")
    assert len(cancels) == 2
    cal, event = event_of(cancels[0])
    assert str(cal["METHOD"]) == "CANCEL" and cancels[0].ics_method == "CANCEL"
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 3 and str(event["STATUS"]) == "CANCELLED"
    assert "RSVP" not in event["ATTENDEE"].params


def test_invitations_speak_the_contacts_language(make, network):
    network["contacts"][0].locale = "en"
    network["contacts"][1].locale = "sv"
    plan(make, network)
    by_recipient = {m.recipient: m for m in outbox("meeting_invited")}
    assert by_recipient[network["contacts"][0].email].subject.startswith("Invitation:")
    assert by_recipient[network["contacts"][1].email].subject.startswith("Inbjudan:")


def test_cancelling_asks_first_then_tells_everyone(client, login_as, make, network):
    meeting = plan(make, network)
    db.session.commit()
    login_as(network["coordinator"])
    first = client.post(f"/network/meetings/{meeting.id}/cancel")
    assert first.status_code == 200
    db.session.expire_all()
    assert meeting.status == "planned" and outbox("meeting_cancelled") == []
    client.post(f"/network/meetings/{meeting.id}/cancel", data={"confirmed": "yes"})
    db.session.expire_all()
    assert meeting.status == "cancelled" and len(outbox("meeting_cancelled")) == 2


def test_plan_through_the_form_and_record_answers_and_attendance(client, login_as, make, network):
    db.session.commit()
    login_as(network["coordinator"])
    day = make.future(25).date().isoformat()
    bad = client.post("/network/meetings/new", data={"title": "Träff", "day": day, "start_time": "13:00",
                                                     "end_time": "12:00", "online_url": "ftp://x"})
    assert bad.status_code == 422
    response = client.post("/network/meetings/new", data={
        "title": "Träff i höst", "day": day, "start_time": "13:00", "end_time": "15:00", "place": "KTC",
        "online_url": "https://meet.example.org/ktc", "agenda": "1. Läget"})
    assert response.status_code == 302
    meeting = db.session.execute(select(Meeting)).scalar_one()
    assert len(meeting.invitations) == 2
    contact = network["contacts"][0]
    login_as(contact)
    page = client.get(f"/network/meetings/{meeting.id}").get_data(as_text=True)
    assert "Träff i höst" in page and "1. Läget" in page
    client.post(f"/network/meetings/{meeting.id}/answer", data={"answer": "accepted"})
    login_as(network["coordinator"])
    client.post(f"/network/meetings/{meeting.id}/attendance", data={"present": [str(contact.id)]})
    db.session.expire_all()
    by_user = {i.user_id: i for i in meeting.invitations}
    assert by_user[contact.id].answer == "accepted" and by_user[contact.id].attended is True
    assert by_user[network["contacts"][1].id].attended is False


def test_the_network_feed_lists_meetings_behind_a_secret_link(client, login_as, make, network):
    meeting = plan(make, network)
    db.session.commit()
    contact = network["contacts"][0]
    login_as(contact)
    client.post("/network/meetings/feed")
    url = ops.feed_link(contact)
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200 and response.content_type.startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.data)
    assert "METHOD" not in cal
    [event] = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == meeting.title and "ATTENDEE" not in event
    again = client.get("/" + path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    # Clients that keep only the date ask with it: unchanged since then is a 304 too.
    assert response.last_modified == meeting.updated_at.replace(microsecond=0)
    since = client.get("/" + path, headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    # Renewing the link: the old one stops working.
    client.post("/network/meetings/feed")
    assert client.get("/" + path).status_code == 404
    # A participant's data never reaches the feed: only meetings are in it.
    assert b"BEGIN:VEVENT" in client.get("/" + ops.feed_link(contact).split("://", 1)[1].split("/", 1)[1]).data


def test_a_member_that_leaves_is_removed_from_coming_meetings_and_can_come_back(make, network):
    meeting = plan(make, network)
    contact = network["contacts"][0]
    member = ops.contact_of(contact).member
    ops.end_membership(member)
    [withdrawn] = outbox("meeting_withdrawn")
    assert withdrawn.recipient == contact.email and withdrawn.ics_method == "CANCEL"
    _cal, event = event_of(withdrawn)
    # Only this attendee is removed: the meeting goes on for the others.
    assert "STATUS" not in event and int(event["SEQUENCE"]) == 2
    # Joining again later brings the invitation back, with a higher SEQUENCE.
    again = ops.request_membership(contact, member.name)
    ops.approve_member(network["coordinator"], again)
    ops.invite_to_coming(again)
    latest = [m for m in outbox("meeting_invited") if m.recipient == contact.email][-1]
    assert int(event_of(latest)[1]["SEQUENCE"]) == 3
    assert ops.invitation_of(meeting, contact).cancelled_at is None


def test_no_answer_to_a_cancelled_meeting_or_a_withdrawn_invitation(client, login_as, make, network):
    meeting = plan(make, network)
    contact, other = network["contacts"]
    ops.end_membership(ops.contact_of(other).member)
    db.session.commit()
    # The organisation left: its contact's invitation is withdrawn, in KTC as in their calendar.
    login_as(other)
    client.post(f"/network/meetings/{meeting.id}/answer", data={"answer": "accepted"})
    ops.cancel_meeting(network["coordinator"], meeting)
    db.session.commit()
    login_as(contact)
    client.post(f"/network/meetings/{meeting.id}/answer", data={"answer": "accepted"})
    db.session.expire_all()
    assert {i.user_id: i.answer for i in meeting.invitations} == {contact.id: "needs-action", other.id: "needs-action"}
