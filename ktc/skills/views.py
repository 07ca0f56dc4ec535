"""Screens for the skills catalogue and the professions' required skills (admin)."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ktc import policy
from ktc.csvutil import csv_response
from ktc.organisations import csvimport
from ktc.organisations.forms import options
from ktc.skills import bp
from ktc.skills import operations as ops
from ktc.skills.forms import ProfessionForm, SkillForm
from ktc.skills.models import Profession, Skill
from ktc.web import form_page, get_or_404, require


@bp.route("/")
@login_required
def index():
    require(policy.can_manage_catalogue(current_user))
    skills = ops.list_skills()
    if request.args.get("format") == "csv":
        # The same column names the import reads, so an export can be edited and imported again.
        return csv_response(
            "kompetenser.csv",
            [_("Code"), _("Name"), _("Category"), _("Description"), _("Refresh (months)"), _("Active")],
            [[s.code, s.name, s.category, s.description, s.refresh_months, _("yes") if s.active else _("no")]
             for s in skills],
        )
    return render_template("skills/index.html", skills=skills)


def _skill_form(skill):
    form = SkillForm(obj=skill)

    def save():
        nonlocal skill
        values = dict(code=form.code.data, name=form.name.data, category=form.category.data,
                      description=form.description.data, refresh_months=form.refresh_months.data,
                      active=form.active.data)
        if skill is None:
            skill = ops.create_skill(**values)
        else:
            ops.update_skill(skill, **values)
        return skill

    return form_page(form, save, "skills.index", "skills/skill_form.html", skill=skill)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(policy.can_manage_catalogue(current_user))
    return _skill_form(None)


@bp.route("/<int:skill_id>/edit", methods=["GET", "POST"])
@login_required
def edit(skill_id):
    require(policy.can_manage_catalogue(current_user))
    return _skill_form(get_or_404(Skill, skill_id))


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_skills():
    require(policy.can_manage_catalogue(current_user))
    return csvimport.upload_step(ops.SKILLS_IMPORT, "skills/import.html", "skills.import_preview")


@bp.route("/import/<upload_id>", methods=["GET", "POST"])
@login_required
def import_preview(upload_id):
    require(policy.can_manage_catalogue(current_user))
    return csvimport.preview_step(
        ops.SKILLS_IMPORT, upload_id, ops.preview_skills_import, ops.import_skills,
        "skills/import_preview.html", "skills.import_skills", "skills.index",
    )


# --- professions ------------------------------------------------------------------------------

@bp.route("/professions")
@login_required
def professions():
    require(policy.can_manage_catalogue(current_user))
    items = ops.list_professions()
    if request.args.get("format") == "csv":
        return csv_response(
            "yrken.csv",
            [_("Profession"), _("Required skills")],
            [[p.name, ", ".join(f"{s.code} {s.name}" for s in p.required_skills)] for p in items],
        )
    return render_template("skills/professions.html", professions=items)


def _profession_form(profession):
    form = ProfessionForm(obj=profession)
    form.skill_ids.choices = options(
        [(s.id, f"{s.code} – {s.name}") for s in ops.list_skills()
         if s.active or (profession and s in profession.required_skills)]
    )
    if request.method == "GET" and profession is not None:
        form.skill_ids.data = [s.id for s in profession.required_skills]

    def save():
        nonlocal profession
        if profession is None:
            profession = ops.create_profession(form.name.data, form.skill_ids.data)
        else:
            ops.update_profession(profession, form.name.data, form.skill_ids.data)
        return profession

    return form_page(form, save, "skills.professions", "skills/profession_form.html", profession=profession)


@bp.route("/professions/new", methods=["GET", "POST"])
@login_required
def create_profession():
    require(policy.can_manage_catalogue(current_user))
    return _profession_form(None)


@bp.route("/professions/<int:profession_id>/edit", methods=["GET", "POST"])
@login_required
def edit_profession(profession_id):
    require(policy.can_manage_catalogue(current_user))
    return _profession_form(get_or_404(Profession, profession_id))
