"""The learning network's members, meetings, minutes and actions: the same permissions as the pages.

Readable by the network role and admins; what a meeting shows is the network's own business
(organisations, contact people, decisions), never a participant's data.
"""
import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ktc import policy
from ktc.accounts.models import User
from ktc.api import bp
from ktc.api.calendars import NoFields
from ktc.api.schemas import Boolean, Choice, Date, DateTime, Id, IdList, Schema, Text
from ktc.api.util import FieldError, commit, find, get_or_404, iso, require
from ktc.errors import DomainError, NotFound
from ktc.meetings import operations as ops
from ktc.meetings import models
from ktc.meetings.models import ACTION_OWNERS, Meeting, MeetingAction
from ktc.skills.models import Skill
from ktc.stations.models import Station

DT = {"format": "date-time"}
TAG = "Learning network"


class Contact(Schema):
    inline = True
    user_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)


class NetworkMember(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    requested_at = ma.fields.String(required=True, allow_none=True, metadata=DT)
    approved_at = ma.fields.String(required=True, allow_none=True, metadata=DT)
    left_at = ma.fields.String(required=True, allow_none=True, metadata=DT)
    contacts = ma.fields.List(ma.fields.Nested(Contact), required=True)


class NetworkAction(Schema):
    id = ma.fields.Integer(required=True)
    meeting_id = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)
    owner_kind = ma.fields.String(required=True)
    owner = ma.fields.String(required=True)
    station_id = ma.fields.Integer(required=True, allow_none=True)
    skill_id = ma.fields.Integer(required=True, allow_none=True)
    member_id = ma.fields.Integer(required=True, allow_none=True)
    due_on = ma.fields.String(required=True, allow_none=True, metadata={"format": "date"})
    done_at = ma.fields.String(required=True, allow_none=True, metadata=DT)
    done_note = ma.fields.String(required=True, allow_none=True)


class NetworkMeeting(Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    start = ma.fields.String(required=True, metadata=DT)
    end = ma.fields.String(required=True, metadata=DT)
    place = ma.fields.String(required=True, allow_none=True)
    online_url = ma.fields.String(required=True, allow_none=True)
    status = ma.fields.String(required=True)
    sequence = ma.fields.Integer(required=True)


class Invitation(Schema):
    inline = True
    user_id = ma.fields.Integer(required=True, metadata={
        "description": "The invited contact person's user id (what attendance is recorded with)"})
    name = ma.fields.String(required=True)
    organisation = ma.fields.String(required=True, allow_none=True)
    answer = ma.fields.String(required=True)
    attended = ma.fields.Boolean(required=True, allow_none=True)
    withdrawn = ma.fields.Boolean(required=True, metadata={
        "description": "The invitation was withdrawn (the contact's organisation left the network)"})


class NetworkMeetingFull(NetworkMeeting):
    agenda = ma.fields.String(required=True)
    minutes = ma.fields.String(required=True)
    invitations = ma.fields.List(ma.fields.Nested(Invitation), required=True)
    actions = ma.fields.List(ma.fields.Nested(NetworkAction), required=True)


class NetworkUser(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    active = ma.fields.Boolean(required=True)
    coordinator = ma.fields.Boolean(required=True)


class NetworkUsers(Schema):
    items = ma.fields.List(ma.fields.Nested(NetworkUser), required=True)


class NetworkMembers(Schema):
    items = ma.fields.List(ma.fields.Nested(NetworkMember), required=True)


class NetworkMeetings(Schema):
    items = ma.fields.List(ma.fields.Nested(NetworkMeeting), required=True)


class NetworkActions(Schema):
    items = ma.fields.List(ma.fields.Nested(NetworkAction), required=True)


class MeetingPatch(Schema):
    """What a change may give; the fields left out keep their value."""

    title = Text()
    start = DateTime()
    end = DateTime()
    place = Text(allow_empty=True)
    online_url = Text(max_length=500, allow_empty=True, metadata={"description": "https:// link to join online"})
    agenda = Text(max_length=20000, allow_empty=True)


class MeetingInput(MeetingPatch):
    title = Text(required=True)
    start = DateTime(required=True)
    end = DateTime(required=True)


class AnswerInput(Schema):
    answer = Choice(("accepted", "declined", "tentative"), required=True)


class MinutesInput(Schema):
    minutes = Text(required=True, max_length=100000, allow_empty=True)


class ActionInput(Schema):
    text = Text(required=True, max_length=2000)
    owner_kind = Choice(ACTION_OWNERS, required=True)
    station_id = Id(metadata={"description": "The owning station (owner_kind station)"})
    skill_id = Id(metadata={"description": "The owning skill (owner_kind skill)"})
    member_id = Id(metadata={"description": "The owning member organisation (owner_kind organisation)"})
    owner_name = Text(allow_empty=True, metadata={"description": "The owning person (owner_kind person)"})
    due_on = Date()


class MeetingAttendanceInput(Schema):
    present = IdList(required=True, metadata={
        "description": "The user ids of the invited who came; every other invitation is marked absent"})


class ContactInput(Schema):
    email = Text(required=True, max_length=254, metadata={
        "description": "The e-mail address of an active network user"})


class CoordinatorInput(Schema):
    coordinator = Boolean(required=True)


class CloseInput(Schema):
    note = Text(max_length=2000, allow_empty=True)
    station_change = Text(max_length=2000, allow_empty=True, metadata={
        "description": "The station change the action led to (only for an action a station owns)"})


def _member_json(member):
    return {"id": member.id, "name": member.name, "description": member.description, "status": member.status,
            "requested_at": iso(member.requested_at), "approved_at": iso(member.approved_at),
            "left_at": iso(member.left_at),
            "contacts": [{"user_id": c.user_id, "name": c.user.name, "email": c.user.email} for c in member.contacts]}


def _user_json(user):
    return {"id": user.id, "name": user.name, "email": user.email, "active": bool(user.active),
            "coordinator": bool(user.network_coordinator)}


def _action_json(action):
    return {"id": action.id, "meeting_id": action.meeting_id, "text": action.text, "owner_kind": action.owner_kind,
            "owner": action.owner_label, "station_id": action.station_id, "skill_id": action.skill_id,
            "member_id": action.member_id, "due_on": iso(action.due_on), "done_at": iso(action.done_at),
            "done_note": action.done_note}


def _meeting_json(meeting, full=False):
    item = {"id": meeting.id, "title": meeting.title, "start": iso(meeting.start_at), "end": iso(meeting.end_at),
            "place": meeting.place, "online_url": meeting.online_url, "status": meeting.status,
            "sequence": meeting.sequence}
    if full:
        item["agenda"] = meeting.agenda
        item["minutes"] = meeting.minutes
        item["invitations"] = [{"user_id": i.user_id, "name": i.user.name,
                                "organisation": i.member.name if i.member else None, "answer": i.answer,
                                "attended": i.attended, "withdrawn": i.cancelled_at is not None}
                               for i in meeting.invitations]
        item["actions"] = [_action_json(a) for a in ops.meeting_actions(meeting)]
    return item


@bp.get("/network/members")
@bp.response(200, NetworkMembers)
@bp.errors(403)
@bp.doc(summary="The network's member organisations and their contact people", tags=[TAG])
def network_members():
    require(policy.can_view_meetings(current_user))
    return {"items": [_member_json(m) for m in ops.list_members()]}


@bp.get("/network/meetings")
@bp.response(200, NetworkMeetings)
@bp.errors(403)
@bp.doc(summary="The network's meetings, newest first", tags=[TAG])
def network_meetings():
    require(policy.can_view_meetings(current_user))
    return {"items": [_meeting_json(m) for m in ops.list_meetings()]}


@bp.get("/network/meetings/<int:meeting_id>")
@bp.response(200, NetworkMeetingFull)
@bp.errors(403, 404)
@bp.doc(summary="One meeting with its agenda, invitations (answers, attendance), minutes and actions", tags=[TAG])
def network_meeting(meeting_id):
    require(policy.can_view_meetings(current_user))
    return _meeting_json(get_or_404(Meeting, meeting_id), full=True)


@bp.get("/network/actions")
@bp.response(200, NetworkActions)
@bp.errors(403)
@bp.doc(summary="Open actions of the network's meetings, carried over until closed", tags=[TAG])
def network_actions():
    """Open actions, oldest meeting first (they are carried over until closed)."""
    require(policy.can_view_meetings(current_user))
    return {"items": [_action_json(a) for a in ops.open_actions()]}


# The operations name the page's form fields; the API names its own.
MEETING_FIELDS = {"end_time": "end", "start_time": "start"}


def _meeting_write(change, names=MEETING_FIELDS):
    """Run an operation; a refusal names the API's field (`names`: the operation's field → the API's)."""
    try:
        return change()
    except DomainError as exc:
        exc.field = names.get(exc.field, exc.field)
        raise


@bp.post("/network/meetings")
@bp.arguments(MeetingInput)
@bp.response(201, NetworkMeetingFull)
@bp.errors(400, 403)
@bp.doc(summary="Plan a meeting (network coordinator); every member contact is invited", tags=[TAG])
def plan_network_meeting(data):
    require(policy.is_network_coordinator(current_user))
    meeting = _meeting_write(lambda: ops.plan_meeting(
        current_user, title=data["title"], start_at=data["start"], end_at=data["end"], place=data.get("place", ""),
        online_url=data.get("online_url", ""), agenda=data.get("agenda", "")))
    commit()
    return _meeting_json(meeting, full=True)


@bp.patch("/network/meetings/<int:meeting_id>")
@bp.arguments(MeetingPatch)
@bp.response(200, NetworkMeetingFull)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Change a meeting (network coordinator); a change calendars show sends an update", tags=[TAG])
def change_network_meeting(data, meeting_id):
    require(policy.is_network_coordinator(current_user))
    meeting = get_or_404(Meeting, meeting_id)
    values = {"title": meeting.title, "start_at": meeting.start_at, "end_at": meeting.end_at, "place": meeting.place,
              "online_url": meeting.online_url, "agenda": meeting.agenda}
    for key, name in (("title", "title"), ("start", "start_at"), ("end", "end_at"), ("place", "place"),
                      ("online_url", "online_url"), ("agenda", "agenda")):
        if key in data:
            values[name] = data[key]
    _meeting_write(lambda: ops.update_meeting(current_user, meeting, **values))
    commit()
    return _meeting_json(meeting, full=True)


@bp.delete("/network/meetings/<int:meeting_id>")
@bp.response(200, NetworkMeetingFull)
@bp.errors(403, 404, 409)
@bp.doc(summary="Cancel a meeting (network coordinator); every invited contact gets a cancellation", tags=[TAG])
def cancel_network_meeting(meeting_id):
    """Cancelled, not deleted: the meeting stays (status cancelled) with its minutes and actions, as sessions do."""
    require(policy.is_network_coordinator(current_user))
    meeting = get_or_404(Meeting, meeting_id)
    ops.cancel_meeting(current_user, meeting)
    commit()
    return _meeting_json(meeting, full=True)


@bp.put("/network/meetings/<int:meeting_id>/minutes")
@bp.arguments(MinutesInput)
@bp.response(200, NetworkMeetingFull)
@bp.errors(400, 403, 404)
@bp.doc(summary="Write a meeting's minutes (network coordinator)", tags=[TAG])
def write_network_minutes(data, meeting_id):
    require(policy.is_network_coordinator(current_user))
    meeting = get_or_404(Meeting, meeting_id)
    ops.save_minutes(meeting, data["minutes"])
    commit()
    return _meeting_json(meeting, full=True)


# Which input field names the owner, per kind of owner.
OWNER_FIELDS = {"station": "station_id", "skill": "skill_id", "organisation": "member_id", "person": "owner_name"}


@bp.post("/network/meetings/<int:meeting_id>/actions")
@bp.arguments(ActionInput)
@bp.response(201, NetworkAction)
@bp.errors(400, 403, 404)
@bp.doc(summary="Add an action with its owner to a meeting (network coordinator)", tags=[TAG])
def add_network_action(data, meeting_id):
    require(policy.is_network_coordinator(current_user))
    meeting = get_or_404(Meeting, meeting_id)
    kind = data["owner_kind"]
    owners = {}
    for name, model, field in (("station", Station, "station_id"), ("skill", Skill, "skill_id"),
                               ("member", models.NetworkMember, "member_id")):
        if data.get(field) is not None:
            owners[name] = find(model, data[field], field)
    action = _meeting_write(lambda: ops.add_action(
        meeting, text=data["text"], owner_kind=kind, owner_name=data.get("owner_name", ""),
        due_on=data.get("due_on"), **owners), {"owner": OWNER_FIELDS[kind]})
    commit()
    return _action_json(action)


@bp.post("/network/actions/<int:action_id>/close")
@bp.arguments(CloseInput)
@bp.response(200, NetworkAction)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Close an action, optionally with the station change it led to (network coordinator)", tags=[TAG])
def close_network_action(data, action_id):
    require(policy.is_network_coordinator(current_user))
    action = get_or_404(MeetingAction, action_id)
    _meeting_write(lambda: ops.close_action(action, data.get("note", ""), data.get("station_change", "")),
                   {"change": "station_change"})
    commit()
    return _action_json(action)


@bp.post("/network/meetings/<int:meeting_id>/answer")
@bp.arguments(AnswerInput)
@bp.response(200, NetworkMeetingFull)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Answer your own invitation to a meeting (the invited member contact)", tags=[TAG])
def answer_network_meeting(data, meeting_id):
    """Only your own invitation: a meeting you were not invited to is 404, as on the page."""
    require(policy.can_view_meetings(current_user))
    meeting = get_or_404(Meeting, meeting_id)
    invitation = ops.invitation_of(meeting, current_user)
    if invitation is None:
        raise NotFound()
    ops.record_answer(invitation, data["answer"])
    commit()
    return _meeting_json(meeting, full=True)


@bp.post("/network/members/<int:member_id>/approve")
@bp.arguments(NoFields, description="No fields: send an empty JSON object, {}.")
@bp.response(200, NetworkMember)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Approve a member organisation (network coordinator); its contacts are invited to coming meetings",
        tags=[TAG])
def approve_network_member(_data, member_id):
    require(policy.is_network_coordinator(current_user))
    member = get_or_404(models.NetworkMember, member_id)
    ops.approve_member(current_user, member)
    ops.invite_to_coming(member)
    commit()
    return _member_json(member)


@bp.put("/network/meetings/<int:meeting_id>/attendance")
@bp.arguments(MeetingAttendanceInput)
@bp.response(200, NetworkMeetingFull)
@bp.errors(400, 403, 404)
@bp.doc(summary="Record who came to a meeting (network coordinator): every invitation is marked present or absent",
        tags=[TAG])
def record_network_attendance(data, meeting_id):
    """The whole list each time, as the page's form sends it; an id nobody was invited with is refused (422)."""
    require(policy.is_network_coordinator(current_user))
    meeting = get_or_404(Meeting, meeting_id)
    invited = {i.user_id for i in meeting.invitations}
    if not invited.issuperset(data["present"]):
        raise FieldError(_l("%(name)s names someone who was not invited to the meeting."), field="present",
                         name="present")
    ops.record_attendance(meeting, data["present"])
    commit()
    return _meeting_json(meeting, full=True)


@bp.post("/network/members/<int:member_id>/contacts")
@bp.arguments(ContactInput)
@bp.response(200, NetworkMember)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Add a contact person to a member organisation (network coordinator); a member's new contact is "
        "invited to coming meetings", tags=[TAG])
def add_network_contact(data, member_id):
    """As on the page: a network user who is another member's contact moves to this one."""
    require(policy.is_network_coordinator(current_user))
    member = get_or_404(models.NetworkMember, member_id)
    ops.add_contact(member, data["email"])
    if member.status == "member":
        ops.invite_to_coming(member)
    commit()
    return _member_json(member)


@bp.delete("/network/members/<int:member_id>")
@bp.response(200, NetworkMember)
@bp.errors(403, 404, 409)
@bp.doc(summary="End a membership (the network coordinator, or the member's own contact); its contacts' "
        "invitations to coming meetings are withdrawn", tags=[TAG])
def end_network_membership(member_id):
    """Ended, not deleted: the organisation stays in the history (status left), as on the page."""
    require(policy.can_view_meetings(current_user))
    member = get_or_404(models.NetworkMember, member_id)
    require(policy.can_leave_network(current_user, member))
    ops.end_membership(member)
    commit()
    return _member_json(member)


@bp.get("/network/users")
@bp.response(200, NetworkUsers)
@bp.errors(403)
@bp.doc(summary="The network users, with who is the network's coordinator (administrators)", tags=[TAG])
def network_users():
    require(policy.can_set_network_coordinator(current_user))
    return {"items": [_user_json(u) for u in ops.network_users()]}


@bp.put("/network/users/<int:user_id>/coordinator")
@bp.arguments(CoordinatorInput)
@bp.response(200, NetworkUser)
@bp.errors(400, 403, 404)
@bp.doc(summary="Make a network user the network's coordinator, or no longer (administrators)", tags=[TAG])
def set_network_coordinator(data, user_id):
    """Only network users carry the flag: any other user is not found here."""
    require(policy.can_set_network_coordinator(current_user))
    user = get_or_404(User, user_id)
    if user.role != "network":
        raise NotFound()
    ops.set_coordinator(user, data["coordinator"])
    commit()
    return _user_json(user)
