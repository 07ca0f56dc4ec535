"""Screens for organisations and units (admin) and staff lists (admin and unit managers)."""
from flask import abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ktc import policy
from ktc.accounts.models import User
from ktc.csvutil import csv_response
from ktc.extensions import db
from ktc.organisations import bp, csvimport
from ktc.organisations import operations as ops
from ktc.organisations.forms import (
    OrganisationForm,
    ParticipantForm,
    StaffFilterForm,
    UnitForm,
    options,
)
from ktc.organisations.models import Organisation, Unit
from ktc.skills.models import Profession
from ktc.web import form_page, get_or_404, require


def yes_no(value):
    return _("yes") if value else _("no")


# --- organisations and units ------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    require(policy.can_manage_organisations(current_user))
    organisations = ops.list_organisations()
    if request.args.get("format") == "csv":
        rows = []
        for org in organisations:
            side = _("Municipality") if org.side == "municipal" else _("Region")
            for unit in org.units or [None]:
                managers = ", ".join(f"{m.name} <{m.email}>" for m in unit.managers) if unit else ""
                rows.append([org.name, side, org.org_number, unit.name if unit else "", managers])
        return csv_response(
            "organisationer.csv",
            [_("Organisation"), _("Side"), _("Organisation number"), _("Unit"), _("Unit managers")],
            rows,
        )
    return render_template("organisations/index.html", organisations=organisations)


def _organisation_form(org):
    form = OrganisationForm(obj=org)

    def save():
        nonlocal org
        if org is None:
            org = ops.create_organisation(form.name.data, form.side.data, form.org_number.data)
        else:
            ops.update_organisation(org, form.name.data, form.side.data, form.org_number.data)
        return org

    return form_page(form, save, "organisations.index", "organisations/organisation_form.html", organisation=org)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(policy.can_manage_organisations(current_user))
    return _organisation_form(None)


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id):
    require(policy.can_manage_organisations(current_user))
    return _organisation_form(get_or_404(Organisation, org_id))


def _unit_form(org, unit):
    form = UnitForm(obj=unit)
    managers = db.session.execute(
        select(User).where(User.role == "manager").order_by(User.name)
    ).scalars().all()
    form.manager_ids.choices = options(
        [(m.id, f"{m.name} ({m.email})") for m in managers if m.active or (unit and m in unit.managers)]
    )
    if request.method == "GET" and unit is not None:
        form.manager_ids.data = [m.id for m in unit.managers]

    def save():
        nonlocal unit
        if unit is None:
            unit = ops.create_unit(org, form.name.data, form.manager_ids.data)
        else:
            ops.update_unit(unit, form.name.data, form.manager_ids.data)
        return unit

    return form_page(form, save, "organisations.index", "organisations/unit_form.html", organisation=org, unit=unit)


@bp.route("/<int:org_id>/units/new", methods=["GET", "POST"])
@login_required
def create_unit(org_id):
    require(policy.can_manage_organisations(current_user))
    return _unit_form(get_or_404(Organisation, org_id), None)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit_unit(unit_id):
    require(policy.can_manage_organisations(current_user))
    unit = get_or_404(Unit, unit_id)
    return _unit_form(unit.organisation, unit)


# --- staff ------------------------------------------------------------------------------------

def _unit_label(unit):
    return f"{unit.organisation.name} – {unit.name}"


def _professions():
    return db.session.execute(select(Profession).order_by(Profession.name)).scalars().all()


@bp.route("/participants")
@login_required
def participants():
    require(policy.can_list_staff(current_user))
    units = ops.manageable_units(current_user)
    professions = _professions()
    form = StaffFilterForm(request.args)
    form.unit.choices = options([("", _("All"))] + [(str(u.id), _unit_label(u)) for u in units])
    form.profession.choices = options([("", _("All"))] + [(str(p.id), p.name) for p in professions])
    is_admin = policy.is_admin(current_user)
    if is_admin:
        orgs = db.session.execute(select(Organisation).order_by(Organisation.name)).scalars().all()
        form.organisation.choices = options([("", _("All"))] + [(str(o.id), o.name) for o in orgs])
    else:
        del form.organisation
    filters = ops.StaffFilter(
        organisation_id=form.organisation.data if is_admin else None,
        unit_id=form.unit.data,
        profession_id=form.profession.data,
        active={"1": True, "0": False}.get(form.active.data),
        q=(form.q.data or "").strip(),
    )
    people = ops.list_participants(current_user, filters)
    if request.args.get("format") == "csv":
        return csv_response(
            "personal.csv",
            [_("Name"), _("E-mail"), _("Profession"), _("Organisation"), _("Unit"), _("Active")],
            [[p.name, p.email, p.profession.name if p.profession else "", p.unit.organisation.name, p.unit.name,
              yes_no(p.active)] for p in people],
        )
    return render_template(
        "organisations/participants.html", people=people, form=form,
        filtered=any(v for k, v in request.args.items() if k != "format"),
    )


@bp.route("/staff/search")
@login_required
def staff_search():
    """JSON for the staff pickers: up to 20 active people the user may book, matching `q`, in `unit`."""
    require(policy.can_list_staff(current_user))
    q = request.args.get("q", "")[:100]  # a NUL never gets here (ktc.web.no_nul_characters)
    unit_id = request.args.get("unit", type=int)
    if unit_id is not None:
        # Another manager's unit (or none at all, past the id column too): not something this user may search in.
        unit = db.session.get(Unit, unit_id) if 0 < unit_id < 2**31 else None
        if unit is None or not policy.can_manage_unit(current_user, unit):
            abort(404)
    people = ops.search_staff(current_user, q, unit_id)
    return jsonify(results=[{
        "id": p.id, "name": p.name, "email": p.email or "", "unit": p.unit.name,
        "organisation": p.unit.organisation.name, "side": p.unit.organisation.side,
        "profession": p.profession.name if p.profession else "",
    } for p in people])


def _participant_form(participant):
    form = ParticipantForm(obj=participant)
    units = ops.manageable_units(current_user)
    form.unit_id.choices = options([(u.id, _unit_label(u)) for u in units])
    form.profession_id.choices = options([(0, _("– No profession –"))] + [(p.id, p.name) for p in _professions()])
    if request.method == "GET" and participant is not None:
        form.profession_id.data = participant.profession_id or 0

    def save():
        nonlocal participant
        unit = db.session.get(Unit, form.unit_id.data)
        profession = db.session.get(Profession, form.profession_id.data) if form.profession_id.data else None
        if participant is None:
            participant = ops.create_participant(
                current_user, form.name.data, form.email.data, unit, profession, form.active.data
            )
        else:
            ops.update_participant(
                current_user, participant, form.name.data, form.email.data, unit, profession, form.active.data
            )
        return participant

    return form_page(
        form, save, "organisations.participants", "organisations/participant_form.html", participant=participant
    )


@bp.route("/participants/new", methods=["GET", "POST"])
@login_required
def create_participant():
    require(policy.can_list_staff(current_user))
    return _participant_form(None)


@bp.route("/participants/<int:participant_id>/edit", methods=["GET", "POST"])
@login_required
def edit_participant(participant_id):
    require(policy.can_list_staff(current_user))
    return _participant_form(ops.get_participant_for(current_user, participant_id))


# --- staff import -----------------------------------------------------------------------------

@bp.route("/participants/import", methods=["GET", "POST"])
@login_required
def import_participants():
    require(policy.can_list_staff(current_user))
    return csvimport.upload_step(
        ops.STAFF_IMPORT, "organisations/import.html", "organisations.import_participants_preview"
    )


@bp.route("/participants/import/<upload_id>", methods=["GET", "POST"])
@login_required
def import_participants_preview(upload_id):
    require(policy.can_list_staff(current_user))
    return csvimport.preview_step(
        ops.STAFF_IMPORT, upload_id,
        lambda content: ops.preview_staff_import(current_user, content),
        lambda content: ops.import_staff(current_user, content),
        "organisations/import_preview.html", "organisations.import_participants", "organisations.participants",
    )
