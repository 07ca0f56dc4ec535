"""Roster (attendance and sign-off), skill records, certificates and the manager's skill matrix."""
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ktc import policy
from ktc.confirm import ask, confirmed
from ktc.bookings.models import Booking
from ktc.bookings.seats import closed_to, free_for_side
from ktc.csvutil import csv_response
from ktc.database import utcnow
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.i18n import fmt_date, local_today
from ktc.organisations.models import Participant, Unit
from ktc.records import bp
from ktc.records import operations as ops
from ktc.records.forms import MatrixFilterForm, roster_form, saved_states
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
    """The roster as one grid: every changed row is saved together, or nothing is (all-or-nothing).

    After an error the page comes back (422) with every row as it was posted, and each message
    names the person it is about.
    """
    session = _session_or_404(session_id)
    rows = ops.roster(session)
    form = roster_form(session, rows, formdata=request.form if request.method == "POST" else None)
    problems = []
    if request.method == "POST":
        form.validate()
        problems = _rows_gone(session, rows) + _row_problems(rows, form)
        if not problems:
            changed = form.changed_rows()
            problems = _saved_meanwhile(session, changed)
        if not problems:
            try:
                ops.record_attendance(current_user, session,
                                      [row.entry(booking.participant_id) for booking, row in changed])
            except DomainError as exc:
                db.session.rollback()
                problems.append(_problem(exc, rows, form))
            else:
                _flash_saved(rows, changed)
                return redirect(url_for(".roster", session_id=session.id))
    return _render("records/roster.html", 422 if problems else 200, session=session, rows=rows,
                   form=form, problems=problems, now=utcnow(), session_url=ops.session_url(session.id))


def _rows_gone(session, rows):
    """People whose rows were posted but who no longer have a seat (cancelled meanwhile)."""
    posted = {int(key[1:-5]) for key in request.form if re.fullmatch(r"b\d{1,9}-seen", key)}
    gone = posted - {booking.id for booking, _records in rows}
    if not gone:
        return []
    bookings = db.session.execute(
        select(Booking).where(Booking.session_id == session.id, Booking.id.in_(gone))
        .options(joinedload(Booking.participant)).order_by(Booking.id)
    ).scalars().all()
    return [("", _("%(name)s: no longer has a seat in the session (the booking was cancelled meanwhile), so the "
                   "row is gone. Save again to keep the other rows.", name=b.participant.name)) for b in bookings]


def _saved_meanwhile(session, changed):
    """Rows this page changed that someone else saved after the page was drawn: saving them would
    overwrite that save unseen. Compared under the session's lock, so two saves at once cannot both pass."""
    if not changed:
        return []
    saved = saved_states(session, ops.roster_now(session))
    return [(row.attendance.id, _("%(name)s: someone else saved this row after you opened the roster. Reload the "
                                  "page to see their entries, then make your changes again.",
                                  name=booking.participant.name))
            for booking, row in changed if saved.get(booking.id) != row.seen.data]


def _row_problems(rows, form):
    """(field id, "Name: message") for every error on the grid, row by row."""
    problems = []
    for booking, _records in rows:
        row = form.row(booking)
        for field in row:
            problems.extend((field.id, f"{booking.participant.name}: {error}") for error in field.errors)
    return problems


def _problem(exc, rows, form):
    """A refusal of the operation, named after the person it concerns (when it concerns one)."""
    booking = next((b for b, _r in rows if b.participant_id == getattr(exc, "participant_id", None)), None)
    if booking is None:
        return "", str(exc)
    return form.row(booking).attendance.id, f"{booking.participant.name}: {exc}"


def _flash_saved(rows, changed):
    records = {booking.id: r for booking, r in rows}
    for booking, row in changed:
        if row.attendance.data == "no_show" and records[booking.id]:
            flash(_("Saved: %(name)s did not come, so their sign-offs from this session (%(count)s) are removed.",
                    name=booking.participant.name, count=len(records[booking.id])), "success")
    if changed:
        flash(ngettext("The roster is saved: %(num)s person changed.", "The roster is saved: %(num)s people changed.",
                       len(changed)), "success")
    else:
        flash(_("Nothing was changed on the roster."), "info")


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
    overview = ops.skill_overview(participant, today)
    return _render("records/record.html", participant=participant, own=own, today=today, overview=overview,
                   own_list=ops.own_skill_list(participant, overview, today) if own else None,
                   window_days=ops.expiry_window_days())


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


def _booked_labels(days):
    """{(booking status, day): "Booked 14 Dec"}: each text translated once, not once per cell."""
    labels = {}
    for day in days:
        shown = fmt_date(day, "d MMM")
        labels[("confirmed", day)] = _("Booked %(date)s", date=shown)
        labels[("waitlisted", day)] = _("Waiting list %(date)s", date=shown)
    return labels


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
    # Sessions in their priority window for other units: the day their seats open, not seats to book.
    reserved = closed_to({s.id: s for sessions in built.upcoming.values() for s in sessions}.values(), unit_ids, now)
    return _render("records/matrix.html", form=form, matrix=built, units=units, show_sides=len(sides) > 1,
                   date_labels={day: fmt_date(day, "short") for day in dates},
                   booked_labels=_booked_labels(booked_days), free=free, reserved=reserved)

