"""Screens for needs: the manager's list and form, derived needs to confirm or dismiss, and the
demand board for KTC staff."""
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ktc import policy
from ktc.confirm import ask, confirmed
from ktc.csvutil import Figure, csv_response
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.i18n import fmt_date
from ktc.organisations.models import Participant, Unit
from ktc.planning import bp
from ktc.planning import operations as ops
from ktc.planning.forms import NeedForm
from ktc.planning.models import Need
from ktc.records.labels import STATUS_LABELS
from ktc.records.operations import visible_units
from ktc.skills.models import Skill
from ktc.web import get_or_404, require, show_domain_error


def _month_label(month):
    return fmt_date(month, fmt="MMMM y")


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
                           month_label=_month_label)


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
            db.session.commit()
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


def _own_need(need_id):
    need = get_or_404(Need, need_id)
    if not policy.can_manage_unit(current_user, need.unit):
        abort(404)
    return need


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id):
    require(policy.can_state_needs(current_user))
    need = _own_need(need_id)
    if need.status != "open":
        flash(_("The need is already covered and can no longer be changed."), "error")
        return redirect(url_for("planning.index"))
    return _need_form(need)


@bp.route("/<int:need_id>/withdraw", methods=["POST"])
@login_required
def withdraw(need_id):
    require(policy.can_state_needs(current_user))
    need = _own_need(need_id)
    if not confirmed():
        return ask(_("Withdraw the need?"),
                   _("The need for %(skill)s (%(unit)s) is removed and no longer planned for.",
                     skill=need.skill.name, unit=need.unit.name),
                   _("Withdraw the need"), url_for("planning.index"))
    try:
        ops.withdraw_need(current_user, need)
        db.session.commit()
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
                           month_label=_month_label, status_labels=STATUS_LABELS)


@bp.route("/derived/decide", methods=["POST"])
@login_required
def decide():
    require(policy.can_state_needs(current_user))
    try:
        unit = db.session.get(Unit, int(request.form.get("unit_id", "")))
        skill_id = int(request.form.get("skill_id", ""))
        month = date.fromisoformat(request.form.get("month", ""))
    except ValueError:
        abort(404)
    if unit is None or not policy.can_manage_unit(current_user, unit):
        abort(404)
    accept = request.form.get("decision") == "confirm"
    try:
        ops.decide_derived(current_user, unit, skill_id, month, request.form.get("fingerprint", ""), accept)
        db.session.commit()
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
