"""Screens for needs: the manager's list and form, derived needs to confirm or dismiss, and the
demand board for KTC staff."""
from datetime import date, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ktc import policy
from ktc.accounts.models import User
from ktc.confirm import ask, confirmed
from ktc.csvutil import Figure, csv_response
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.i18n import fmt_date
from ktc.organisations.models import Participant, Unit
from ktc.planning import bp
from ktc.planning import operations as ops
from ktc.planning import proposals
from ktc.planning.forms import InstructorForm, NeedForm, PlanForm
from ktc.records.labels import STATUS_LABELS
from ktc.records.operations import visible_units
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station
from ktc.web import form_page, get_or_404, require, show_domain_error


# Why each person is counted in a derived need: their skill record's state, or a late path step.
DERIVED_LABELS = {**STATUS_LABELS, ops.LATE_STEP: _l("Late in a learning path")}


def _month_label(month):
    return fmt_date(month, fmt="MMMM y")


def _row_id(text):
    """A posted id as a number the id columns can hold (ValueError otherwise: PostgreSQL refuses
    to compare an integer column with 2^31 or more)."""
    value = int(text)
    if not 0 < value < 2**31:
        raise ValueError(text)
    return value


def _unit_arg():
    try:
        return int(request.args.get("unit", ""))
    except ValueError:
        return None


@bp.route("/")
@login_required
def index():
    require(policy.can_state_needs(current_user))
    units = visible_units(current_user)
    unit_id = _unit_arg()
    if unit_id is not None and unit_id not in {u.id for u in units}:
        abort(404)
    needs = ops.visible_needs(current_user, unit_id=unit_id)
    pending = 0
    if not policy.is_admin(current_user):
        pending = len(ops.pending_derived([u.id for u in units]))
    return render_template("planning/index.html", needs=needs, units=units, unit_id=unit_id, pending=pending,
                           month_label=_month_label, met=ops.met_need_ids(needs))


def _fill_choices(form, need):
    units = visible_units(current_user)
    form.unit_id.choices = [(u.id, f"{u.name} ({u.organisation.name})") for u in units]
    if need is not None:
        form.unit_id.choices = [(need.unit.id, need.unit.name)]
    skills = db.session.execute(select(Skill).where(Skill.active.is_(True)).order_by(Skill.code)).scalars().all()
    form.skill_id.choices = [(0, _("Choose a skill"))] + [(s.id, f"{s.code} – {s.name}") for s in skills]
    unit_id = need.unit_id if need is not None else (form.unit_id.data or _unit_arg()
                                                     or (units[0].id if len(units) == 1 else None))
    staff = []
    if unit_id is not None and unit_id in {u.id for u in units}:
        staff = ops.active_staff(db.session.get(Unit, unit_id))
    form.participant_ids.choices = [(p.id, p.name) for p in staff]
    return units


def _need_form(need):
    form = NeedForm(obj=need, data=None if need is not None or request.method == "POST" else
                    {"unit_id": _unit_arg()})
    if need is not None and request.method == "GET":
        form.participant_ids.data = [p.id for p in need.named]
    _fill_choices(form, need)
    if form.validate_on_submit():
        named = []
        if form.participant_ids.data:
            named = db.session.execute(
                select(Participant).where(Participant.id.in_(form.participant_ids.data))).scalars().all()
        try:
            skill = db.session.get(Skill, form.skill_id.data)
            if need is None:
                unit = db.session.get(Unit, form.unit_id.data)
                saved = ops.create_need(current_user, unit, skill, form.month.data, form.people.data, named,
                                        form.note.data)
            else:
                saved = ops.update_need(current_user, need, skill, form.month.data, form.people.data, named,
                                        form.note.data)
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc, fields={"participant_ids": "participant_ids"})
        else:
            flash(_("The need for %(skill)s has been saved.", skill=saved.skill.name), "success")
            return redirect(url_for("planning.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("planning/need_form.html", form=form, need=need), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(policy.can_state_needs(current_user))
    return _need_form(None)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id):
    require(policy.can_state_needs(current_user))
    need = ops.get_need(current_user, need_id)
    if need.status != "open":
        flash(str(ops.NeedClosed()), "error")
        return redirect(url_for("planning.index"))
    return _need_form(need)


@bp.route("/<int:need_id>/withdraw", methods=["POST"])
@login_required
def withdraw(need_id):
    require(policy.can_state_needs(current_user))
    need = ops.get_need(current_user, need_id)
    if not confirmed():
        return ask(_("Withdraw the need?"),
                   _("The need for %(skill)s (%(unit)s) is removed and no longer planned for.",
                     skill=need.skill.name, unit=need.unit.name),
                   _("Withdraw the need"), url_for("planning.index"))
    try:
        ops.withdraw_need(current_user, need)
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("The need has been withdrawn."), "success")
    return redirect(url_for("planning.index"))


@bp.route("/derived")
@login_required
def derived():
    require(policy.can_state_needs(current_user))
    units = visible_units(current_user)
    unit_id = _unit_arg()
    if unit_id is not None and unit_id not in {u.id for u in units}:
        abort(404)
    if unit_id is None and policy.is_admin(current_user):
        # Every unit of the county at once is too much to answer; an admin picks one.
        chosen = []
    else:
        chosen = [unit_id] if unit_id is not None else [u.id for u in units]
    pending = ops.pending_derived(chosen) if chosen else []
    return render_template("planning/derived.html", pending=pending, units=units, unit_id=unit_id,
                           month_label=_month_label, status_labels=DERIVED_LABELS)


@bp.route("/derived/decide", methods=["POST"])
@login_required
def decide():
    require(policy.can_state_needs(current_user))
    try:
        unit = db.session.get(Unit, _row_id(request.form.get("unit_id", "")))
        skill_id = _row_id(request.form.get("skill_id", ""))
        month = date.fromisoformat(request.form.get("month", ""))
    except ValueError:
        abort(404)
    if unit is None or not policy.can_manage_unit(current_user, unit):
        abort(404)
    accept = request.form.get("decision") == "confirm"
    try:
        ops.decide_derived(current_user, unit, skill_id, month, request.form.get("fingerprint", ""), accept)
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("The need has been confirmed.") if accept else _("The need has been dismissed."), "success")
    return redirect(url_for("planning.derived", unit=request.form.get("back_unit") or None))


@bp.route("/board")
@login_required
def board():
    require(policy.can_view_demand(current_user))
    try:
        months = min(12, max(1, int(request.args.get("months", 6))))
    except ValueError:
        months = 6
    data = ops.demand_board(months_ahead=months)
    if request.args.get("format") == "csv":
        sides = {"municipal": _("Municipality"), "regional": _("Region")}
        return csv_response(
            "behov.csv",
            [_("Skill code"), _("Skill"), _("Month"), _("Side"), _("Need (people)"), _("Free seats"),
             _("Uncovered")],
            [[skill.code, skill.name, month.strftime("%Y-%m"), sides[side], Figure(cell.need),
              Figure(cell.free), Figure(cell.uncovered)] for skill, month, side, cell in data.rows()],
        )
    return render_template("planning/board.html", board=data, months_ahead=months, month_label=_month_label)


# --- planning: inputs, proposal, acceptance ---------------------------------------------------

@bp.route("/instructors")
@login_required
def instructors():
    require(policy.can_view_demand(current_user))
    people = db.session.execute(select(User).where(User.role == "instructor").order_by(User.name)).scalars().all()
    return render_template("planning/instructors.html", people=people)


@bp.route("/instructors/<int:instructor_id>", methods=["GET", "POST"])
@login_required
def instructor(instructor_id):
    require(policy.can_view_demand(current_user))
    person = get_or_404(User, instructor_id)
    if person.role != "instructor":
        abort(404)
    form = InstructorForm()
    skills = db.session.execute(select(Skill).where(Skill.active.is_(True)).order_by(Skill.code)).scalars().all()
    form.skill_ids.choices = [(s.id, f"{s.code} – {s.name}") for s in skills]
    if request.method == "GET":
        form.skill_ids.data, form.max_per_day.data, form.availability.data, form.absences.data = \
            proposals.instructor_inputs(person)

    def save():
        chosen = [s for s in skills if s.id in set(form.skill_ids.data or ())]
        return proposals.set_instructor_inputs(person, chosen, form.max_per_day.data, form.availability.data,
                                               form.absences.data)

    return form_page(form, save, "planning.instructors", "planning/instructor_form.html", person=person)


def _plan_form():
    form = PlanForm()
    centres = db.session.execute(select(Centre).order_by(Centre.name)).scalars().all()
    form.centre_id.choices = [(0, _("All centres"))] + [(c.id, c.name) for c in centres]
    return form


@bp.route("/plan", methods=["GET", "POST"])
@login_required
def plan():
    """The proposal is computed on POST and shown, never stored: accepting posts its rows back."""
    require(policy.can_plan_sessions(current_user))
    form = _plan_form()
    if not form.validate_on_submit():
        return render_template("planning/plan.html", form=form), 422 if request.method == "POST" else 200
    try:
        built, result = proposals.propose(form.centre_id.data or None, form.weeks.data,
                                          time_limit=current_app.config.get("KTC_PLAN_TIME_LIMIT", 20.0))
    except DomainError as exc:
        show_domain_error(form, exc)
        return render_template("planning/plan.html", form=form), 422
    skills = {s.id: s for s in db.session.execute(select(Skill)).scalars()}
    users = {u.id: u for u in db.session.execute(select(User).where(User.role == "instructor")).scalars()}
    rows = [{
        "value": f"{s.slot.station_id}|{s.slot.start.isoformat()}|{s.slot.end.isoformat()}|{s.skill_id}|"
                 f"{s.instructor_id}|{s.min_per_side}",
        "session": s, "station": built.stations[s.slot.station_id], "skill": skills[s.skill_id],
        "instructor": users[s.instructor_id],
    } for s in result.sessions]
    uncovered = [(built.needs[key], reason, result.covered.get(key, 0)) for key, reason in result.reasons.items()]
    return render_template("planning/proposal.html", form=form, rows=rows, plan=result, uncovered=uncovered,
                           built=built, reason_labels=REASON_LABELS)


REASON_LABELS = {
    "no_station": _l("No station teaches the skill."),
    "no_instructor": _l("No qualified instructor is free."),
    "no_capacity": _l("No room in the horizon: the stations or instructors are taken."),
    "too_few_people": _l("Too few people need it for a session."),
}


def _proposed_rows():
    keep = set(request.form.getlist("keep"))
    rows = []
    for name, value in request.form.items(multi=True):
        if not name.startswith("row-") or name[4:] not in keep:
            continue
        try:
            station_id, start, end, skill_id, instructor_id, min_per_side = value.split("|")
            item = proposals.Proposed(
                db.session.get(Station, _row_id(station_id)), datetime.fromisoformat(start),
                datetime.fromisoformat(end), db.session.get(Skill, _row_id(skill_id)),
                db.session.get(User, _row_id(instructor_id)), int(min_per_side))
        except ValueError:
            abort(400)
        if None in (item.station, item.skill, item.instructor) or item.start.tzinfo is None:
            abort(400)
        rows.append(item)
    return rows


@bp.route("/plan/accept", methods=["POST"])
@login_required
def accept():
    require(policy.can_plan_sessions(current_user))
    rows = _proposed_rows()
    try:
        sessions, covered = proposals.accept(current_user, rows)
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        flash(_("Nothing was created: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("planning.plan"))
    flash(_("%(sessions)s sessions created; %(needs)s needs covered and offered to their units.",
            sessions=len(sessions), needs=len(covered)), "success")
    return redirect(url_for("planning.index"))
