"""The learning network's members, meetings, minutes and actions: the same permissions as the pages.

Readable by the network role and admins; what a meeting shows is the network's own business
(organisations, contact people, decisions), never a participant's data.
"""
import marshmallow as ma
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.schemas import Schema
from ktc.api.util import get_or_404, iso, require
from ktc.meetings import operations as ops
from ktc.meetings.models import Meeting

DT = {"format": "date-time"}
TAG = "Learning network"


class Contact(Schema):
    inline = True
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
    name = ma.fields.String(required=True)
    organisation = ma.fields.String(required=True, allow_none=True)
    answer = ma.fields.String(required=True)
    attended = ma.fields.Boolean(required=True, allow_none=True)


class NetworkMeetingFull(NetworkMeeting):
    agenda = ma.fields.String(required=True)
    minutes = ma.fields.String(required=True)
    invitations = ma.fields.List(ma.fields.Nested(Invitation), required=True)
    actions = ma.fields.List(ma.fields.Nested(NetworkAction), required=True)


class NetworkMembers(Schema):
    items = ma.fields.List(ma.fields.Nested(NetworkMember), required=True)


class NetworkMeetings(Schema):
    items = ma.fields.List(ma.fields.Nested(NetworkMeeting), required=True)


class NetworkActions(Schema):
    items = ma.fields.List(ma.fields.Nested(NetworkAction), required=True)


def _member_json(member):
    return {"id": member.id, "name": member.name, "description": member.description, "status": member.status,
            "requested_at": iso(member.requested_at), "approved_at": iso(member.approved_at),
            "left_at": iso(member.left_at),
            "contacts": [{"name": c.user.name, "email": c.user.email} for c in member.contacts]}


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
        item["invitations"] = [{"name": i.user.name, "organisation": i.member.name if i.member else None,
                                "answer": i.answer, "attended": i.attended} for i in meeting.invitations]
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
