"""Roster (attendance and sign-off), skill records, certificates and the manager's skill matrix."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ktc import policy
from ktc.confirm import ask, confirmed
from ktc.bookings.operations import free_for_side
from ktc.csvutil import csv_response
from ktc.database import utcnow
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.i18n import fmt_date, local_today
from ktc.organisations.models import Participant, Unit
from ktc.records import bp
from ktc.records import operations as ops
from ktc.records.forms import MatrixFilterForm, roster_row_form
from ktc.records.labels import STATUS_LABELS, template_labels
from ktc.records.status import is_valid_today
from ktc.sessions.models import Session
from ktc.skills.models import Profession, Skill
from ktc.stations.models import Station
from ktc.web import require


def _render(template, status=200, **context):
    return render_template(template, **template_labels(), **context), status


def _session_or_404(session_id):
    session = db.session.execute(
        select(Session)
        .where(Session.id == session_id)
        .options(joinedload(Session.station).joinedload(Station.centre), selectinload(Session.skills),
                 selectinload(Session.instructors))
    ).scalar_one_or_none()
    if session is None:
        abort(404)
    require(policy.can_record_session(current_user, session))
    return session


# --- roster ----------------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>/roster", methods=["GET", "POST"])
@login_required
def roster(session_id):
    session = _session_or_404(session_id)
    rows = ops.roster(session)
    posted = request.form.get("booking_id", type=int) if request.method == "POST" else None
    if request.method == "POST" and posted not in {b.id for b, _records in rows}:
        abort(404)
    forms = {
        booking.id: roster_row_form(session, booking, records, formdata=request.form if booking.id == posted else None)
        for booking, records in rows
    }
    status = 200
    if posted is not None:
        form = forms[posted]
        booking = next(b for b, _records in rows if b.id == posted)
        if form.validate():
            try:
                ops.record_attendance(current_user, session, [form.entry()])
            except DomainError as exc:
                db.session.rollback()
                flash(str(exc), "error")
                return redirect(url_for(".roster", session_id=session.id))
            db.session.commit()
            records = next(r for b, r in rows if b.id == posted)
            if form.attendance.data == "no_show" and records:
                flash(_("Saved: %(name)s did not come, so their sign-offs from this session (%(count)s) are removed.",
                        name=booking.participant.name, count=len(records)), "success")
            else:
                flash(_("Saved for %(name)s.", name=booking.participant.name), "success")
            return redirect(url_for(".roster", session_id=session.id, _anchor=f"row-{booking.id}"))
        status = 422
    return _render("records/roster.html", status, session=session, rows=rows, forms=forms,
                   now=utcnow(), session_url=ops.session_url(session.id))


@bp.route("/sessions/<int:session_id>/roster/all", methods=["POST"])
@login_required
def roster_all(session_id):
    session = _session_or_404(session_id)
    if not confirmed():
        try:
            ops.check_recordable(current_user, session, utcnow())
        except DomainError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".roster", session_id=session.id))
        people = len(ops.roster(session))
        return ask(
            _("Sign off everyone?"),
            _("%(count)s people are marked attended, with every skill of the session demonstrated. Sign-offs "
              "already recorded for them in this session are replaced.", count=people),
            _("Yes, sign off everyone"), url_for(".roster", session_id=session.id),
        )
    try:
        touched = ops.mark_all_attended_demonstrated(current_user, session)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("%(count)s people are marked attended with every skill demonstrated. Change single rows below.",
                count=len(touched)), "success")
    return redirect(url_for(".roster", session_id=session.id))


@bp.route("/sessions/<int:session_id>/complete", methods=["POST"])
@login_required
def complete(session_id):
    session = _session_or_404(session_id)
    if not confirmed():
        try:
            ops.check_completable(current_user, session, utcnow())
        except DomainError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".roster", session_id=session.id))
        return ask(
            _("Mark the session completed?"),
            _("Attendance and sign-offs can still be changed afterwards. Everyone marked attended is sent a "
              "feedback link."),
            _("Yes, mark it completed"), url_for(".roster", session_id=session.id),
        )
    try:
        ops.complete_session(current_user, session)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The session is marked completed."), "success")
    return redirect(url_for(".roster", session_id=session.id))


# --- skill records ---------------------------------------------------------------------------

def _participant_or_404(participant_id):
    participant = db.session.execute(
        select(Participant)
        .where(Participant.id == participant_id)
        .options(joinedload(Participant.unit).joinedload(Unit.organisation), joinedload(Participant.profession))
    ).scalar_one_or_none()
    if participant is None:
        abort(404)
    require(policy.can_view_skill_record(current_user, participant))
    return participant


def _record_page(participant, own):
    today = local_today()
    return _render("records/record.html", participant=participant, own=own, today=today,
                   overview=ops.skill_overview(participant, today), window_days=ops.expiry_window_days())


@bp.route("/mine")
@login_required
def mine():
    if current_user.participant_id is None:
        abort(404)
    return _record_page(_participant_or_404(current_user.participant_id), own=True)


@bp.route("/participants/<int:participant_id>")
@login_required
def participant(participant_id):
    person = _participant_or_404(participant_id)
    return _record_page(person, own=person.id == current_user.participant_id)


@bp.route("/participants/<int:participant_id>/certificate")
@login_required
def certificate(participant_id):
    person = _participant_or_404(participant_id)
    today = local_today()
    valid = [item for item in ops.skill_overview(person, today) if is_valid_today(item.status)]
    return _render("records/certificate.html", participant=person, today=today, items=valid)


# --- the manager's matrix --------------------------------------------------------------------

CSV_LABELS = {"name": _l("Name"), "unit": _l("Unit"), "profession": _l("Profession"), **STATUS_LABELS,
              "booked_confirmed": _l("booked"), "booked_waitlisted": _l("on the waiting list")}


@bp.route("/matrix")
@login_required
def matrix():
    require(policy.can_view_matrix(current_user))
    units = ops.visible_units(current_user)
    form = MatrixFilterForm(formdata=request.args)
    form.fill_choices(
        units,
        db.session.execute(select(Profession).order_by(Profession.name)).scalars().all(),
        db.session.execute(select(Skill).where(Skill.active.is_(True)).order_by(Skill.code)).scalars().all(),
    )
    unit_ids = [u.id for u in units]
    if request.args.get("unit") and form.unit.data not in unit_ids + [0]:
        # Another manager's unit (or no unit at all): not something this user may see.
        abort(404)
    form.validate()
    if form.unit.data in unit_ids:
        unit_ids = [form.unit.data]
    profession_id = form.profession.data if not form.profession.errors else 0
    skill_id = form.skill.data if not form.skill.errors else 0
    built = ops.build_matrix(unit_ids, profession_id=profession_id, skill_id=skill_id,
                             with_upcoming=request.args.get("format") != "csv")
    if request.args.get("format") == "csv":
        header, rows = ops.matrix_csv_rows(built, CSV_LABELS)
        return csv_response(f"skill-matrix-{built.today.isoformat()}.csv", header, rows)
    sides = {key[1] for key in built.upcoming}
    # Each date formatted once, not once per cell: a unit of 300 staff has thousands of cells.
    dates = {cell.valid_until for row in built.rows for cell in row.cells.values() if cell.valid_until}
    booked_days = {cell.booked_on for row in built.rows for cell in row.cells.values() if cell.booked_on}
    now = utcnow()
    # The seats the manager's side can book now, not every free seat (some may be held for the other side).
    free = {(session.id, side): free_for_side(session, side, now)
            for (_skill, side), sessions in built.upcoming.items() for session in sessions}
    return _render("records/matrix.html", form=form, matrix=built, units=units, show_sides=len(sides) > 1,
                   date_labels={day: fmt_date(day, "short") for day in dates},
                   booked_labels={day: fmt_date(day, "d MMM") for day in booked_days}, free=free,
                   csv_url=url_for(".matrix", **{**request.args.to_dict(), "format": "csv"}))

