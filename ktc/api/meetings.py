"""The learning network's members, meetings, minutes and actions: the same permissions as the pages.

Readable by the network role and admins; what a meeting shows is the network's own business
(organisations, contact people, decisions), never a participant's data.
"""
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.schema import DATETIME, INT, STR, array_of, obj, operation, path_id, ref
from ktc.api.util import get_or_404, iso, ok, require
from ktc.meetings import operations as ops
from ktc.meetings.models import Meeting


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
def network_members():
    require(policy.can_view_meetings(current_user))
    return ok({"items": [_member_json(m) for m in ops.list_members()]})


@bp.get("/network/meetings")
def network_meetings():
    require(policy.can_view_meetings(current_user))
    return ok({"items": [_meeting_json(m) for m in ops.list_meetings()]})


@bp.get("/network/meetings/<int:meeting_id>")
def network_meeting(meeting_id):
    require(policy.can_view_meetings(current_user))
    return ok(_meeting_json(get_or_404(Meeting, meeting_id), full=True))


@bp.get("/network/actions")
def network_actions():
    """Open actions, oldest meeting first (they are carried over until closed)."""
    require(policy.can_view_meetings(current_user))
    return ok({"items": [_action_json(a) for a in ops.open_actions()]})


_DT = {"type": ["string", "null"], "format": "date-time"}
_NULL_INT = {"type": ["integer", "null"]}
_CONTACT = obj({"name": STR, "email": STR}, required=("name", "email"))
_INVITATION = obj({"name": STR, "organisation": {"type": ["string", "null"]}, "answer": STR,
                   "attended": {"type": ["boolean", "null"]}}, required=("name", "organisation", "answer", "attended"))
_MEETING = {"id": INT, "title": STR, "start": DATETIME, "end": DATETIME, "place": STR, "online_url": STR,
            "status": STR, "sequence": INT}
SCHEMAS = {
    "NetworkMember": obj({"id": INT, "name": STR, "description": STR, "status": STR, "requested_at": DATETIME,
                          "approved_at": _DT, "left_at": _DT, "contacts": {"type": "array", "items": _CONTACT}},
                         required=("id", "name", "status", "contacts")),
    "NetworkAction": obj({"id": INT, "meeting_id": INT, "text": STR, "owner_kind": STR, "owner": STR,
                          "station_id": _NULL_INT, "skill_id": _NULL_INT, "member_id": _NULL_INT,
                          "due_on": {"type": ["string", "null"], "format": "date"}, "done_at": _DT,
                          "done_note": STR},
                         required=("id", "meeting_id", "text", "owner_kind", "owner")),
    "NetworkMeeting": obj(_MEETING, required=tuple(_MEETING)),
    "NetworkMeetingFull": obj({**_MEETING, "agenda": STR, "minutes": STR,
                               "invitations": {"type": "array", "items": _INVITATION},
                               "actions": array_of("NetworkAction")},
                              required=(*_MEETING, "agenda", "minutes", "invitations", "actions")),
}


def _items(name):
    return obj({"items": array_of(name)}, required=("items",))


_TAG = "Learning network"
PATHS = {
    "/network/members": {"get": operation(
        "The network's member organisations and their contact people", _TAG,
        response=_items("NetworkMember"), errors=("403",))},
    "/network/meetings": {"get": operation(
        "The network's meetings, newest first", _TAG, response=_items("NetworkMeeting"), errors=("403",))},
    "/network/meetings/{meeting_id}": {"get": operation(
        "One meeting with its agenda, invitations (answers, attendance), minutes and actions", _TAG,
        response=ref("NetworkMeetingFull"), params=[path_id("meeting_id")], errors=("403", "404"))},
    "/network/actions": {"get": operation(
        "Open actions of the network's meetings, carried over until closed", _TAG,
        response=_items("NetworkAction"), errors=("403",))},
}
