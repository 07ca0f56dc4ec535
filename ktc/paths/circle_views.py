"""Screens for study circles: plan (admin), run meetings and the roster (facilitator), follow (managers)."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ktc import policy
from ktc.accounts.models import User
from ktc.confirm import ask, confirmed
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.forms import PICKER
from ktc.organisations.forms import options
from ktc.paths import bp, circle_ics
from ktc.paths import circles as ops
from ktc.paths.forms import CircleForm, MeetingForm
from ktc.paths.models import CircleMeeting, LearningPath, StudyCircle
from ktc.sessions.operations import local_to_utc
from ktc.web import get_or_404, require, show_domain_error


def _circle_or_404(circle_id, check=policy.can_view_circle):
    circle = get_or_404(StudyCircle, circle_id)
    if not check(current_user, circle):
        abort(404 if not policy.has_role(current_user, "admin", "instructor", "manager") else 403)
    return circle


@bp.route("/circles/")
@login_required
def circles():
    require(policy.has_role(current_user, "admin", "instructor", "manager"))
    return render_template("paths/circles.html", circles=ops.circles_for(current_user))


def _circle_form(circle):
    form = CircleForm(obj=circle)
    paths = db.session.execute(select(LearningPath).where(LearningPath.active.is_(True))
                               .order_by(LearningPath.name)).scalars().all()
    form.path_id.choices = options([("", _("Choose a learning path"))] + [(str(p.id), p.name) for p in paths])
    form.facilitator_id.choices = options([("", _("No facilitator yet"))]
                                          + [(str(u.id), u.name) for u in ops.facilitators()])
    chosen = circle.members if circle is not None else []
    if request.method == "GET" and circle is not None:
        form.participant_ids.data = [m.id for m in circle.members]
        form.facilitator_id.data = circle.facilitator_id
    form.participant_ids.choices = options([(m.id, f"{m.name} ({m.unit.name})") for m in chosen])
    if form.validate_on_submit():
        try:
            members = ops.members_from(current_user, form.participant_ids.data, form.add_emails.data)
            facilitator = db.session.get(User, form.facilitator_id.data) if form.facilitator_id.data else None
            if circle is None:
                path = next((p for p in paths if p.id == form.path_id.data), None)
                circle = ops.create_circle(form.name.data, path, facilitator, members)
            else:
                ops.update_circle(circle, form.name.data, facilitator, members)
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash(_("%(name)s has been saved.", name=circle.name), "success")
            return redirect(url_for(".circle", circle_id=circle.id))
    status = 422 if request.method == "POST" else 200
    return render_template("paths/circle_form.html", form=form, circle=circle, picker=PICKER), status


@bp.route("/circles/new", methods=["GET", "POST"])
@login_required
def create_circle():
    require(policy.can_plan_circles(current_user))
    return _circle_form(None)


@bp.route("/circles/<int:circle_id>/edit", methods=["GET", "POST"])
@login_required
def edit_circle(circle_id):
    require(policy.can_plan_circles(current_user))
    return _circle_form(get_or_404(StudyCircle, circle_id))


@bp.route("/circles/<int:circle_id>")
@login_required
def circle(circle_id):
    circle = _circle_or_404(circle_id)
    sides = {"municipal": 0, "regional": 0}
    for m in circle.members:
        sides[m.unit.organisation.side] += 1
    return render_template("paths/circle.html", circle=circle, sides=sides,
                           can_run=policy.can_run_circle(current_user, circle),
                           can_plan=policy.can_plan_circles(current_user))


def _meeting_form(circle, meeting):
    form = MeetingForm(obj=meeting)
    tz = circle_ics.meeting_tz()
    if request.method == "GET" and meeting is not None:
        from ktc.i18n import to_local

        form.day.data = to_local(meeting.start_at, tz).date()
        form.start.data = to_local(meeting.start_at, tz).time()
        form.end.data = to_local(meeting.end_at, tz).time()
        form.step_ids.data = [s.id for s in meeting.steps]
    form.step_ids.choices = options([(s.id, f"{s.position}. {s.title}") for s in circle.path.steps
                                     if s.kind != "skill"])
    if form.validate_on_submit():
        start_at = local_to_utc(form.day.data, form.start.data, tz)
        end_at = local_to_utc(form.day.data, form.end.data, tz)
        values = dict(start_at=start_at, end_at=end_at, location=form.location.data, topic=form.topic.data,
                      step_ids=form.step_ids.data)
        try:
            if meeting is None:
                meeting = ops.plan_meeting(current_user, circle, **values)
            else:
                ops.update_meeting(current_user, meeting, **values)
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc, fields={"day": "day", "end": "end"})
        else:
            flash(_("The meeting is saved and the members are invited."), "success")
            return redirect(url_for(".circle", circle_id=circle.id))
    status = 422 if request.method == "POST" else 200
    return render_template("paths/meeting_form.html", form=form, circle=circle, meeting=meeting), status


@bp.route("/circles/<int:circle_id>/meetings/new", methods=["GET", "POST"])
@login_required
def create_meeting(circle_id):
    circle = _circle_or_404(circle_id, policy.can_run_circle)
    return _meeting_form(circle, None)


@bp.route("/meetings/<int:circle_meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit_meeting(circle_meeting_id):
    meeting = get_or_404(CircleMeeting, circle_meeting_id)
    _circle_or_404(meeting.circle_id, policy.can_run_circle)
    return _meeting_form(meeting.circle, meeting)


@bp.route("/meetings/<int:circle_meeting_id>/cancel", methods=["POST"])
@login_required
def cancel_meeting(circle_meeting_id):
    meeting = get_or_404(CircleMeeting, circle_meeting_id)
    circle = _circle_or_404(meeting.circle_id, policy.can_run_circle)
    back = url_for(".circle", circle_id=circle.id)
    if not confirmed():
        return ask(_("Cancel the meeting?"),
                   _("Every member of %(name)s is told, and the meeting is removed from their calendars.",
                     name=circle.name), _("Yes, cancel the meeting"), back)
    ops.cancel_meeting(current_user, meeting)
    flash(_("The meeting is cancelled and the members are told."), "success")
    return redirect(back)


@bp.route("/meetings/<int:circle_meeting_id>/roster", methods=["GET", "POST"])
@login_required
def meeting_roster(circle_meeting_id):
    meeting = get_or_404(CircleMeeting, circle_meeting_id)
    _circle_or_404(meeting.circle_id, policy.can_run_circle)
    status = 200
    if request.method == "POST":
        attended = {int(v) for v in request.form.getlist("attended") if v.isdigit()}
        done = set()
        for value in request.form.getlist("done"):
            pid, _sep, sid = value.partition(":")
            if pid.isdigit() and sid.isdigit():
                done.add((int(pid), int(sid)))
        try:
            ops.record_meeting(current_user, meeting, attended, done)
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            status = 422
        else:
            flash(_("The roster is saved."), "success")
            return redirect(url_for(".meeting_roster", circle_meeting_id=meeting.id))
    return render_template("paths/meeting_roster.html", meeting=meeting, rows=ops.roster(meeting)), status


@bp.route("/meetings/<int:circle_meeting_id>.ics")
@login_required
def meeting_ics(circle_meeting_id):
    meeting = get_or_404(CircleMeeting, circle_meeting_id)
    if not policy.can_download_meeting_ics(current_user, meeting):
        abort(404)
    return Response(circle_ics.download(meeting), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="studiecirkel-{meeting.id}.ics"'})
