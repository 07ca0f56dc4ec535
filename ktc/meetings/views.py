"""The network's members and meetings: thin views over ktc/meetings/operations.py."""
import json

from hashlib import sha256

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ktc import confirm, policy
from ktc.accounts.models import User
from ktc.database import utcnow
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.i18n import to_local
from ktc.meetings import bp, ics
from ktc.meetings import operations as ops
from ktc.meetings.forms import ActionForm, ContactForm, JoinForm, MeetingForm, MinutesForm
from ktc.meetings.models import Meeting, MeetingAction, MeetingInvitation, NetworkMember
from ktc.skills.models import Skill
from ktc.stations.models import Station
from ktc.sessions.operations import local_to_utc
from ktc.web import get_or_404, require, show_domain_error

ICS_TYPE = "text/calendar; charset=utf-8"


def _require_view():
    require(policy.can_view_meetings(current_user))


def _require_coordinator():
    require(policy.is_network_coordinator(current_user))


def _done(message):
    flash(message, "success")


def _attempt(change, message, back):
    """Make one change in one transaction and say so, or say the rule that refused it; then go `back`."""
    try:
        change()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        _done(message)
    return redirect(back)


@bp.route("/")
@login_required
def index():
    _require_view()
    meetings = ops.list_meetings()
    now = utcnow()
    return render_template(
        "meetings/index.html",
        upcoming=[m for m in reversed(meetings) if m.end_at >= now],
        past=[m for m in meetings if m.end_at < now],
        coordinator=policy.is_network_coordinator(current_user),
        feed_url=ops.feed_link(current_user),
    )


# --- members ---------------------------------------------------------------------------------

@bp.route("/members")
@login_required
def members():
    _require_view()
    contact = ops.contact_of(current_user) if policy.has_role(current_user, "network") else None
    can_join = policy.can_ask_to_join_network(current_user) and (contact is None or contact.member.status == "left")
    return render_template(
        "meetings/members.html", members=ops.list_members(), own=contact.member if contact else None,
        join_form=JoinForm() if can_join else None, contact_form=ContactForm(),
        coordinator=policy.is_network_coordinator(current_user),
        network_users=ops.network_users() if policy.can_set_network_coordinator(current_user) else [],
    )


@bp.route("/members/join", methods=["POST"])
@login_required
def join():
    require(policy.can_ask_to_join_network(current_user))
    form = JoinForm()
    if not form.validate_on_submit():
        flash(_("Give the name of your organisation."), "error")
        return redirect(url_for("meetings.members"))
    return _attempt(lambda: ops.request_membership(current_user, form.name.data, form.description.data),
                    _("Your organisation has asked to join. The network's coordinator will approve it."),
                    url_for("meetings.members"))


@bp.route("/members/<int:member_id>/approve", methods=["POST"])
@login_required
def approve(member_id):
    _require_coordinator()
    member = get_or_404(NetworkMember, member_id)

    def approve_and_invite():
        ops.approve_member(current_user, member)
        ops.invite_to_coming(member)

    return _attempt(approve_and_invite, _("%(name)s is now a member of the network.", name=member.name),
                    url_for("meetings.members"))


@bp.route("/members/<int:member_id>/contacts", methods=["POST"])
@login_required
def add_contact(member_id):
    _require_coordinator()
    member = get_or_404(NetworkMember, member_id)
    form = ContactForm()
    if not form.validate_on_submit():
        flash(_("Enter a valid e-mail address."), "error")
        return redirect(url_for("meetings.members"))

    def add_and_invite():
        ops.add_contact(member, form.email.data)
        if member.status == "member":
            ops.invite_to_coming(member)

    return _attempt(add_and_invite, _("The contact person has been added."), url_for("meetings.members"))


@bp.route("/members/<int:member_id>/leave", methods=["POST"])
@login_required
def leave(member_id):
    member = get_or_404(NetworkMember, member_id)
    require(policy.can_leave_network(current_user, member))
    own = policy.is_contact_of(current_user, member)
    if not confirm.confirmed():
        if own:
            return confirm.ask(_("Leave the network"), _("%(name)s leaves the learning network. Its contact people "
                                                         "are no longer invited to the meetings.", name=member.name),
                               _("Yes, leave the network"), url_for("meetings.members"))
        return confirm.ask(_("Remove the member"), _("%(name)s is removed from the learning network. Its contact "
                                                     "people are no longer invited to the meetings.", name=member.name),
                           _("Yes, remove the member"), url_for("meetings.members"))
    return _attempt(lambda: ops.end_membership(member),
                    _("%(name)s is no longer a member of the network.", name=member.name), url_for("meetings.members"))


@bp.route("/coordinators/<int:user_id>", methods=["POST"])
@login_required
def set_coordinator(user_id):
    require(policy.can_set_network_coordinator(current_user))
    user = get_or_404(User, user_id)
    return _attempt(lambda: ops.set_coordinator(user, request.form.get("coordinator") == "yes"), _("Saved."),
                    url_for("meetings.members"))


# --- meetings --------------------------------------------------------------------------------

def _times(form, tz="Europe/Stockholm"):
    return local_to_utc(form.day.data, form.start_time.data, tz), local_to_utc(form.day.data, form.end_time.data, tz)


def _fields(form):
    start_at, end_at = _times(form)
    return dict(title=form.title.data or "", start_at=start_at, end_at=end_at, place=form.place.data or "",
                online_url=form.online_url.data or "", agenda=form.agenda.data or "")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_coordinator()
    form = MeetingForm()
    if request.method == "GET" and request.args.get("draft"):
        form.agenda.data = ops.draft_agenda()
    if form.validate_on_submit():
        try:
            meeting = ops.plan_meeting(current_user, **_fields(form))
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash(_("The meeting is planned and %(n)s contact people are invited.", n=len(meeting.invitations)),
                  "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    status = 422 if request.method == "POST" else 200
    return render_template("meetings/form.html", form=form, meeting=None), status


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id):
    _require_coordinator()
    meeting = get_or_404(Meeting, meeting_id)
    if meeting.status == "cancelled":
        abort(404)
    form = MeetingForm()
    if request.method == "GET":
        local_start, local_end = to_local(meeting.start_at, meeting.timezone), to_local(meeting.end_at, meeting.timezone)
        form.title.data, form.day.data = meeting.title, local_start.date()
        form.start_time.data, form.end_time.data = local_start.time(), local_end.time()
        form.place.data, form.online_url.data, form.agenda.data = meeting.place, meeting.online_url, meeting.agenda
        if request.args.get("draft"):
            form.agenda.data = ops.draft_agenda(meeting)
    elif form.validate_on_submit():
        try:
            ops.update_meeting(current_user, meeting, **_fields(form))
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash(_("The meeting has been saved."), "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    status = 422 if request.method == "POST" else 200
    return render_template("meetings/form.html", form=form, meeting=meeting), status


@bp.route("/<int:meeting_id>")
@login_required
def detail(meeting_id):
    _require_view()
    # Every invitation is shown with its contact and organisation: load them with it, not one by one.
    meeting = get_or_404(Meeting, meeting_id, options=[selectinload(Meeting.invitations).options(
        selectinload(MeetingInvitation.user), selectinload(MeetingInvitation.member))])
    return render_template(
        "meetings/detail.html", meeting=meeting, coordinator=policy.is_network_coordinator(current_user),
        mine=ops.invitation_of(meeting, current_user),
    )


@bp.route("/<int:meeting_id>/cancel", methods=["POST"])
@login_required
def cancel(meeting_id):
    _require_coordinator()
    meeting = get_or_404(Meeting, meeting_id)
    back = url_for("meetings.detail", meeting_id=meeting.id)
    if not confirm.confirmed():
        invited = sum(1 for i in meeting.invitations if i.ical_sequence > 0 and i.cancelled_at is None)
        return confirm.ask(_("Cancel the meeting"),
                           _("%(title)s is cancelled and %(n)s invited contact people get a cancellation in their "
                             "calendars.", title=meeting.title, n=invited),
                           _("Yes, cancel the meeting"), back)
    return _attempt(lambda: ops.cancel_meeting(current_user, meeting),
                    _("The meeting is cancelled; the invited have been told."), back)


@bp.route("/<int:meeting_id>/attendance", methods=["POST"])
@login_required
def attendance(meeting_id):
    _require_coordinator()
    meeting = get_or_404(Meeting, meeting_id)
    ops.record_attendance(meeting, [v for v in request.form.getlist("present") if v.isdigit()])
    _done(_("Attendance has been saved."))
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/answer", methods=["POST"])
@login_required
def answer(meeting_id):
    meeting = get_or_404(Meeting, meeting_id)
    invitation = ops.invitation_of(meeting, current_user)
    if invitation is None:
        abort(404)
    return _attempt(lambda: ops.record_answer(invitation, request.form.get("answer")),
                    _("Your answer has been saved."), url_for("meetings.detail", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>.ics")
@login_required
def download(meeting_id):
    _require_view()
    meeting = get_or_404(Meeting, meeting_id)
    response = Response(ics.single_event(meeting).encode("utf-8"), content_type=ICS_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="ktc-meeting-{meeting.id}.ics"'
    return response


@bp.route("/feed", methods=["POST"])
@login_required
def make_feed():
    _require_view()
    ops.make_feed(current_user)
    _done(_("Your link to the network's meetings is ready. An older link no longer works."))
    return redirect(url_for("meetings.index"))


@bp.route("/feed/<token>.ics")
def feed(token):
    """The network's meetings as a subscription; the secret token is the only credential."""
    user = ops.feed_user(token)
    if user is None:
        abort(404)
    meetings = ops.feed_meetings()
    body = ics.feed(_("Learning network meetings"), meetings).encode("utf-8")
    db.session.rollback()
    response = Response(body, content_type=ICS_TYPE)
    response.set_etag(sha256(body).hexdigest())
    if meetings:
        # Each event's DTSTAMP is its last change, so the latest of them is the feed's.
        response.last_modified = max(m.updated_at for m in meetings)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


# --- minutes, actions and station changes ----------------------------------------------------

def _minutes_data(meeting):
    return ops.meeting_actions(meeting)


@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
@login_required
def minutes(meeting_id):
    _require_view()
    meeting = get_or_404(Meeting, meeting_id)
    coordinator = policy.is_network_coordinator(current_user)
    form = MinutesForm(obj=meeting) if request.method == "GET" else MinutesForm()
    action_form = None
    if coordinator:  # only the coordinator gets the form (and its three lists of choices)
        action_form = ActionForm(prefix="action")
        action_form.fill_choices()
    if request.method == "POST":
        require(coordinator)
        if form.validate_on_submit():
            ops.save_minutes(meeting, form.minutes.data)
            _done(_("The minutes have been saved."))
            return redirect(url_for("meetings.minutes", meeting_id=meeting.id))
    return render_template(
        "meetings/minutes.html", meeting=meeting, form=form, action_form=action_form, coordinator=coordinator,
        actions=_minutes_data(meeting), carried=ops.open_actions(before=meeting.start_at),
        changes=ops.station_changes(meeting_id=meeting.id),
    ), 422 if request.method == "POST" else 200


@bp.route("/<int:meeting_id>/actions", methods=["POST"])
@login_required
def add_action(meeting_id):
    _require_coordinator()
    meeting = get_or_404(Meeting, meeting_id)
    form = ActionForm(prefix="action")
    form.fill_choices()
    if not form.validate_on_submit():
        flash(_("Say what is to be done and who owns it."), "error")
        return redirect(url_for("meetings.minutes", meeting_id=meeting.id))
    return _attempt(
        lambda: ops.add_action(
            meeting, text=form.text.data, owner_kind=form.owner_kind.data,
            station=db.session.get(Station, form.station.data) if form.station.data else None,
            skill=db.session.get(Skill, form.skill.data) if form.skill.data else None,
            member=db.session.get(NetworkMember, form.member.data) if form.member.data else None,
            owner_name=form.owner_name.data, due_on=form.due_on.data),
        _("The action has been added."), url_for("meetings.minutes", meeting_id=meeting.id))


@bp.route("/actions/<int:action_id>/close", methods=["POST"])
@login_required
def close_action(action_id):
    _require_coordinator()
    action = get_or_404(MeetingAction, action_id)
    back = request.form.get("back") or ""
    return _attempt(lambda: ops.close_action(action, request.form.get("note", ""), request.form.get("change", "")),
                    _("The action is closed."), back if back.startswith("/network/meetings/")
                    else url_for("meetings.minutes", meeting_id=action.meeting_id))


@bp.route("/<int:meeting_id>/minutes/print")
@login_required
def print_minutes(meeting_id):
    _require_view()
    meeting = get_or_404(Meeting, meeting_id)
    return render_template("meetings/minutes_print.html", meeting=meeting, actions=_minutes_data(meeting),
                           changes=ops.station_changes(meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/minutes.json")
@login_required
def minutes_json(meeting_id):
    _require_view()
    meeting = get_or_404(Meeting, meeting_id)
    body = {
        "id": meeting.id, "title": meeting.title, "start": meeting.start_at.isoformat(),
        "end": meeting.end_at.isoformat(), "status": meeting.status, "agenda": meeting.agenda,
        "minutes": meeting.minutes,
        "attended": sum(1 for i in meeting.invitations if i.attended),
        "actions": [{"id": a.id, "text": a.text, "owner_kind": a.owner_kind, "owner": a.owner_label,
                     "due_on": a.due_on.isoformat() if a.due_on else None,
                     "done_at": a.done_at.isoformat() if a.done_at else None, "done_note": a.done_note}
                    for a in _minutes_data(meeting)],
        "station_changes": [{"station": c.station.name, "changed_at": c.changed_at.isoformat(),
                             "description": c.description, "detected": c.detected,
                             "fields": [f for f in c.fields.split(",") if f]}
                            for c in ops.station_changes(meeting_id=meeting.id)],
    }
    response = Response(json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="ktc-minutes-{meeting.id}.json"'
    return response


@bp.route("/changes")
@login_required
def changes():
    """Station changes made after network meetings, with the station's figures before and after."""
    _require_view()
    rows = [(change, *ops.before_after(change)) for change in ops.station_changes()]
    from ktc.network.operations import MIN_RESPONSES

    return render_template("meetings/changes.html", rows=rows, min_responses=MIN_RESPONSES)


@bp.app_template_global()
def network_station_changes(station_id=None):
    """Station changes made after network meetings, for the station page and the network view."""
    if not policy.has_role(current_user, "admin", "network"):
        return []
    return ops.station_changes(station_id)
