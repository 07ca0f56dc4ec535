"""The network's members and meetings: plain functions that add and flush, never commit.

Invitations go to the contact people of every current member through the same calendar
machinery as sessions (ktc/mail/notify.py): a REQUEST when invited, an update with a higher
SEQUENCE when the meeting moves or changes place, a CANCEL when it is cancelled.
"""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ktc.accounts.models import User
from ktc.database import savepoint, utcnow
from ktc.errors import Conflict, NotFound, ValidationError
from ktc.extensions import db
from ktc.meetings.models import ANSWERS, Meeting, MeetingFeed, MeetingInvitation, MemberContact, NetworkMember
from ktc.urls import external_url


class AlreadyInNetwork(Conflict):
    code = "already_in_network"
    message = _l("You are already the contact of an organisation in the network.")


class NotPending(Conflict):
    code = "not_pending"
    message = _l("Only an organisation that has asked to join can be approved.")


class NotAMember(Conflict):
    code = "not_a_member"
    message = _l("The organisation is not a member of the network.")


class NotANetworkUser(ValidationError):
    code = "not_a_network_user"
    message = _l("There is no active network user with that e-mail address.")


class MeetingCancelled(Conflict):
    code = "meeting_cancelled"
    message = _l("The meeting is cancelled.")


class InvalidMeeting(ValidationError):
    code = "invalid_meeting"


class InvitationWithdrawn(Conflict):
    code = "invitation_withdrawn"
    message = _l("You are no longer invited to the meeting.")


class ActionClosed(Conflict):
    code = "action_closed"
    message = _l("The action is already closed.")


# --- row locks -------------------------------------------------------------------------------

def _guarded():
    """KTC_MEETING_GUARD=False only for the race tests' control runs, to show the race they catch."""
    return current_app.config.get("KTC_MEETING_GUARD", True)


def _hold(obj):
    """Lock the object's row for the rest of the transaction and re-read it.

    Approving and ending a membership, changing or cancelling a meeting and closing an action
    each check a status they read and then write a new one (and a meeting's SEQUENCE is raised
    in Python): two requests that both read before either wrote would both pass the check. With
    the row lock the second waits and then sees what the first wrote. On SQLite FOR UPDATE emits
    nothing; its writing requests are already serialised by BEGIN IMMEDIATE.
    """
    if _guarded():
        db.session.refresh(obj, with_for_update=True)


def _hold_meetings(meeting_ids):
    """Lock the meetings' rows (in id order, so that two holders never deadlock) and re-read them
    and their invitations: their SEQUENCEs and who is still invited are what a change sends from."""
    meeting_ids = sorted(set(meeting_ids))
    if not meeting_ids or not _guarded():
        return
    meetings = db.session.execute(
        select(Meeting).where(Meeting.id.in_(meeting_ids)).order_by(Meeting.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalars().all()
    for meeting in meetings:
        db.session.expire(meeting, ["invitations"])
    db.session.execute(
        select(MeetingInvitation).where(MeetingInvitation.meeting_id.in_(meeting_ids))
        .execution_options(populate_existing=True)
    ).scalars().all()


# --- members ---------------------------------------------------------------------------------

def contact_of(user):
    """The MemberContact row of this user (at most one), or None."""
    return db.session.execute(select(MemberContact).where(MemberContact.user_id == user.id)).scalar_one_or_none()


def list_members():
    """Every organisation that is, was or wants to be a member, with its contacts."""
    return db.session.execute(
        select(NetworkMember)
        .options(selectinload(NetworkMember.contacts).selectinload(MemberContact.user))
        .order_by(NetworkMember.name)
    ).scalars().all()


def request_membership(user, name, description=""):
    """A network user asks for their organisation to join; the coordinator approves it."""
    existing = contact_of(user)
    if existing is not None and existing.member.status != "left":
        raise AlreadyInNetwork()
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    member = NetworkMember(name=name.strip(), description=(description or "").strip(), status="pending",
                           requested_at=utcnow())
    member.contacts.append(MemberContact(user=user))
    db.session.add(member)
    db.session.flush()
    return member


def approve_member(actor, member, now=None):
    _hold(member)
    if member.status != "pending":
        raise NotPending()
    member.status = "member"
    member.approved_at = now or utcnow()
    member.approved_by_id = actor.id
    db.session.flush()
    return member


def add_contact(member, email):
    """Make an active network user a contact person of a member (moving them from any other member)."""
    user = db.session.execute(
        select(User).where(User.email == (email or "").strip().lower(), User.role == "network", User.active.is_(True))
    ).scalar_one_or_none()
    if user is None:
        raise NotANetworkUser(field="email")
    existing = contact_of(user)
    if existing is not None:
        if existing.member_id == member.id:
            return existing
        db.session.delete(existing)
        db.session.flush()
    contact = MemberContact(member=member, user=user)
    db.session.add(contact)
    db.session.flush()
    return contact


def end_membership(member, now=None):
    """The organisation leaves (or is removed): it is kept in the history, and invited no more.

    Its contacts' invitations to coming meetings are withdrawn: a CANCEL that removes only them
    (the meeting itself goes on).
    """
    from ktc.mail import notify

    _hold(member)
    if member.status == "left":
        raise NotAMember()
    now = now or utcnow()
    member.status = "left"
    member.left_at = now
    user_ids = {c.user_id for c in member.contacts}
    stmt = (
        select(MeetingInvitation).join(Meeting, Meeting.id == MeetingInvitation.meeting_id)
        .where(Meeting.start_at > now, Meeting.status == "planned", MeetingInvitation.user_id.in_(user_ids or {0}),
               MeetingInvitation.cancelled_at.is_(None), MeetingInvitation.ical_sequence > 0)
    )
    _hold_meetings(i.meeting_id for i in db.session.execute(stmt).scalars())
    # Read again under the locks: a meeting cancelled meanwhile has told these contacts already.
    for invitation in db.session.execute(stmt).scalars().all():
        invitation.cancelled_at = now
        notify.meeting_withdrawn(invitation)
    db.session.flush()
    return member


def set_coordinator(user, flag):
    if user.role != "network":
        raise NotANetworkUser()
    user.network_coordinator = bool(flag)
    db.session.flush()
    return user


def network_users():
    return db.session.execute(select(User).where(User.role == "network").order_by(User.name)).scalars().all()


def member_contacts():
    """(member, user) for every active contact of a current member: whom a meeting invites."""
    rows = db.session.execute(
        select(NetworkMember, User)
        .join(MemberContact, MemberContact.member_id == NetworkMember.id)
        .join(User, User.id == MemberContact.user_id)
        .where(NetworkMember.status == "member", User.active.is_(True))
        .order_by(NetworkMember.name, User.name)
    ).all()
    return [(member, user) for member, user in rows]


# --- meetings --------------------------------------------------------------------------------

def _check(title, start_at, end_at, online_url):
    if not (title or "").strip():
        raise InvalidMeeting(_l("Give the meeting a title."), field="title")
    if end_at <= start_at:
        raise InvalidMeeting(_l("The end must be after the start."), field="end_time")
    if online_url:
        parts = urlsplit(online_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise InvalidMeeting(_l("The online link must start with https://."), field="online_url")


def list_meetings():
    return db.session.execute(select(Meeting).order_by(Meeting.start_at.desc())).scalars().all()


def plan_meeting(actor, *, title, start_at, end_at, place="", online_url="", agenda="", now=None):
    """A new meeting; every member contact is invited at once."""
    _check(title, start_at, end_at, online_url)
    now = now or utcnow()
    meeting = Meeting(title=title.strip(), start_at=start_at, end_at=end_at, place=(place or "").strip(),
                      online_url=(online_url or "").strip(), agenda=agenda or "", created_by_id=actor.id,
                      created_at=now, updated_at=now, sequence=0)
    db.session.add(meeting)
    db.session.flush()
    _invite(meeting)
    return meeting


def invite_members(meeting):
    """Invite every current member contact not yet invited (new members get the coming meetings too)."""
    _hold_meetings([meeting.id])
    return _invite(meeting)


def _invite(meeting):
    """invite_members for a meeting already held (or just planned, so seen by nobody else)."""
    from ktc.mail import notify

    if meeting.status == "cancelled":
        return []
    invited = {i.user_id: i for i in meeting.invitations}
    sent = []
    for member, user in member_contacts():
        invitation = invited.get(user.id)
        if invitation is None:
            invitation = MeetingInvitation(meeting=meeting, user=user, member=member)
            db.session.add(invitation)
            db.session.flush()
        elif invitation.ical_sequence > 0 and invitation.cancelled_at is None:
            continue
        invitation.cancelled_at = None
        if notify.meeting_invited(invitation) is not None:
            sent.append(invitation)
    return sent


def update_meeting(actor, meeting, *, title, start_at, end_at, place="", online_url="", agenda="", now=None):
    """Change a meeting; a change people's calendars show sends an update (same UID, higher SEQUENCE)."""
    from ktc.mail import notify

    _hold_meetings([meeting.id])
    if meeting.status == "cancelled":
        raise MeetingCancelled()
    _check(title, start_at, end_at, online_url)
    place, online_url = (place or "").strip(), (online_url or "").strip()
    visible = (meeting.title, meeting.start_at, meeting.end_at, meeting.place, meeting.online_url) != (
        title.strip(), start_at, end_at, place, online_url)
    meeting.title, meeting.start_at, meeting.end_at = title.strip(), start_at, end_at
    meeting.place, meeting.online_url, meeting.agenda = place, online_url, agenda or ""
    meeting.updated_at = now or utcnow()
    if visible:
        meeting.sequence += 1
        for invitation in meeting.invitations:
            if invitation.cancelled_at is None and invitation.ical_sequence > 0:
                notify.meeting_changed(invitation)
    db.session.flush()
    return meeting


def cancel_meeting(actor, meeting, now=None):
    """Cancel the meeting: every invited contact gets a CANCEL of the same event."""
    from ktc.mail import notify

    _hold_meetings([meeting.id])
    if meeting.status == "cancelled":
        raise MeetingCancelled()
    now = now or utcnow()
    meeting.status = "cancelled"
    meeting.cancelled_at = now
    meeting.updated_at = now
    meeting.sequence += 1
    for invitation in meeting.invitations:
        if invitation.ical_sequence > 0 and invitation.cancelled_at is None:
            notify.meeting_cancelled(invitation)
    db.session.flush()
    return meeting


def record_attendance(meeting, present_user_ids):
    """Who came: every invitation is marked present or absent."""
    present = {int(i) for i in present_user_ids}
    for invitation in meeting.invitations:
        invitation.attended = invitation.user_id in present
    db.session.flush()


def record_answer(invitation, answer, now=None):
    """The contact's answer (from KTC or their calendar): accepted, declined or tentative."""
    answer = (answer or "").lower()
    if answer not in ANSWERS:
        raise ValidationError(field="answer")
    if invitation.meeting.status == "cancelled":
        raise MeetingCancelled()
    if invitation.cancelled_at is not None:
        raise InvitationWithdrawn()
    invitation.answer = answer
    invitation.answered_at = now or utcnow()
    db.session.flush()
    return invitation


def invitation_of(meeting, user):
    return next((i for i in meeting.invitations if i.user_id == user.id), None)


def invitation_from(meeting, email):
    """The invitation of the contact with this e-mail address (one query, not a user per invitation)."""
    return db.session.execute(
        select(MeetingInvitation).join(User, User.id == MeetingInvitation.user_id)
        .where(MeetingInvitation.meeting_id == meeting.id, func.lower(User.email) == (email or "").lower())
    ).scalars().first()


def meeting_for_uid(uid):
    return db.session.execute(select(Meeting).where(Meeting.uid == uid)).scalar_one_or_none()


def get_meeting(meeting_id):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    return meeting


def previous_meeting(meeting):
    """The last meeting held before this one (not cancelled), or None."""
    return db.session.execute(
        select(Meeting).where(Meeting.start_at < meeting.start_at, Meeting.status != "cancelled", Meeting.id != meeting.id)
        .order_by(Meeting.start_at.desc()).limit(1)
    ).scalar_one_or_none()


# --- the network's meetings feed ---------------------------------------------------------------

def _feed_token(user_id, nonce):
    import base64
    import hashlib
    import hmac

    from flask import current_app

    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, f"ktc-meetings-feed:{user_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _hash(token):
    import hashlib

    return hashlib.sha256(token.encode("ascii")).hexdigest()


def feed_link(user):
    """The user's meetings feed URL, or None before they made one."""
    feed = db.session.get(MeetingFeed, user.id)
    if feed is None:
        return None
    return external_url("meetings.feed", token=_feed_token(user.id, feed.nonce))


def make_feed(user):
    """Create (or renew: the old link stops working) the user's secret meetings feed link."""
    import secrets

    nonce = secrets.token_hex(16)
    token_hash = _hash(_feed_token(user.id, nonce))
    feed = db.session.get(MeetingFeed, user.id)
    if feed is None:
        feed = MeetingFeed(user_id=user.id, nonce=nonce, token_hash=token_hash, created_at=utcnow())
        try:
            with savepoint():
                db.session.add(feed)
            return feed
        except IntegrityError:
            # Another request (a double click) made the link first: renew that one.
            feed = db.session.get(MeetingFeed, user.id)
    feed.nonce, feed.token_hash = nonce, token_hash
    db.session.flush()
    return feed


def feed_user(token):
    """The active user a feed token belongs to, if they may still see the meetings; else None."""
    from ktc import policy

    if not token or len(token) > 100 or not token.isascii():
        return None
    feed = db.session.execute(select(MeetingFeed).where(MeetingFeed.token_hash == _hash(token))).scalar_one_or_none()
    if feed is None or not feed.user.active or not policy.can_view_meetings(feed.user):
        return None
    return feed.user


def feed_meetings(now=None):
    """The meetings a feed shows: from half a year back on, cancelled ones as cancelled."""
    since = (now or utcnow()) - timedelta(days=180)
    return db.session.execute(
        select(Meeting).where(Meeting.end_at >= since).order_by(Meeting.start_at, Meeting.id)
    ).scalars().all()


def invite_to_coming(member, now=None):
    """A new member (or contact) is invited to the meetings still to come."""
    now = now or utcnow()
    coming = select(Meeting).where(Meeting.start_at > now, Meeting.status == "planned").order_by(Meeting.id)
    _hold_meetings(db.session.execute(coming.with_only_columns(Meeting.id)).scalars())
    for meeting in db.session.execute(coming).scalars().all():
        _invite(meeting)


# --- agenda, minutes, actions and station changes --------------------------------------------

class InvalidAction(ValidationError):
    code = "invalid_action"


def _with_owners(stmt):
    """Actions are listed with their owner (owner_label): load the owners with them, not one per row."""
    from ktc.meetings.models import MeetingAction

    return stmt.options(selectinload(MeetingAction.station), selectinload(MeetingAction.skill),
                        selectinload(MeetingAction.member))


def open_actions(before=None):
    """Actions not yet closed (decided before `before`, a datetime, when given), oldest first."""
    from ktc.meetings.models import MeetingAction

    stmt = _with_owners(select(MeetingAction)).join(Meeting, Meeting.id == MeetingAction.meeting_id).where(
        MeetingAction.done_at.is_(None))
    if before is not None:
        stmt = stmt.where(Meeting.start_at < before)
    return db.session.execute(stmt.order_by(Meeting.start_at, MeetingAction.id)).scalars().all()


def draft_agenda(meeting=None, now=None):
    """The draft agenda text for a meeting (or one being planned) from the data since the last meeting."""
    from ktc.meetings import agenda

    previous = previous_meeting(meeting) if meeting is not None else last_meeting(now)
    start, end = agenda.period_for(meeting, previous, now)
    actions = open_actions(before=meeting.start_at if meeting is not None else None)
    return agenda.render_text(agenda.build_draft(start, end, actions))


def last_meeting(now=None):
    return db.session.execute(
        select(Meeting).where(Meeting.start_at < (now or utcnow()), Meeting.status != "cancelled")
        .order_by(Meeting.start_at.desc()).limit(1)
    ).scalar_one_or_none()


def save_minutes(meeting, minutes):
    meeting.minutes = minutes or ""
    db.session.flush()
    return meeting


def add_action(meeting, *, text, owner_kind, station=None, skill=None, member=None, owner_name="", due_on=None):
    """A decision made into an action with an owner: a KTC station, skill, member organisation or person."""
    from ktc.meetings.models import ACTION_OWNERS, MeetingAction

    if not (text or "").strip():
        raise InvalidAction(_l("Say what is to be done."), field="text")
    if owner_kind not in ACTION_OWNERS:
        raise InvalidAction(field="owner_kind")
    owner = {"station": station, "skill": skill, "organisation": member}.get(owner_kind)
    if owner_kind != "person" and owner is None:
        raise InvalidAction(_l("Choose who owns the action."), field="owner")
    if owner_kind == "person" and not (owner_name or "").strip():
        raise InvalidAction(_l("Name the person who owns the action."), field="owner_name")
    action = MeetingAction(meeting=meeting, text=text.strip(), owner_kind=owner_kind,
                           station=station if owner_kind == "station" else None,
                           skill=skill if owner_kind == "skill" else None,
                           member=member if owner_kind == "organisation" else None,
                           owner_name=(owner_name or "").strip() if owner_kind == "person" else "",
                           due_on=due_on, created_at=utcnow())
    db.session.add(action)
    db.session.flush()
    return action


def close_action(action, note="", station_change=None, now=None):
    """Close an action, optionally recording the station change it led to (marked after its meeting)."""
    from ktc.meetings.models import StationChange

    _hold(action)
    if action.done_at is not None:
        raise ActionClosed()
    now = now or utcnow()
    action.done_at = now
    action.done_note = (note or "").strip()
    change = None
    if station_change:
        station = action.station if action.owner_kind == "station" else None
        if station is None:
            raise InvalidAction(_l("Only an action owned by a station can mark a station change."), field="change")
        change = StationChange(station=station, meeting_id=action.meeting_id, action=action,
                               description=station_change.strip(), changed_at=now)
        db.session.add(change)
    db.session.flush()
    return change


def station_changes(station_id=None, meeting_id=None):
    from ktc.meetings.models import StationChange

    stmt = select(StationChange).order_by(StationChange.changed_at.desc())
    if station_id is not None:
        stmt = stmt.where(StationChange.station_id == station_id)
    if meeting_id is not None:
        stmt = stmt.where(StationChange.meeting_id == meeting_id)
    return db.session.execute(stmt).scalars().all()


def before_after(change, now=None):
    """The station's figures (suppressed as everywhere) for LOOKBACK before and after the change."""
    from ktc.meetings.agenda import LOOKBACK
    from ktc.network.operations import summary

    from ktc.network.operations import Filters

    now = now or utcnow()
    before = Filters(start=change.changed_at - LOOKBACK, end=change.changed_at, station_id=change.station_id)
    after = Filters(start=change.changed_at, end=max(change.changed_at, min(now, change.changed_at + LOOKBACK)),
                    station_id=change.station_id)
    return summary(before)["totals"], summary(after)["totals"]


def meeting_actions(meeting):
    from ktc.meetings.models import MeetingAction

    return db.session.execute(
        _with_owners(select(MeetingAction)).where(MeetingAction.meeting_id == meeting.id).order_by(MeetingAction.id)
    ).scalars().all()
