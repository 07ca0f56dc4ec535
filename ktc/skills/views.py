"""Screens for the skills catalogue and the professions' required skills (admin)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ktc import policy
from ktc.csvutil import csv_response
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.organisations import csvimport
from ktc.organisations.forms import ConfirmForm, ImportForm, options, show_error
from ktc.skills import bp
from ktc.skills import operations as ops
from ktc.skills.forms import ProfessionForm, SkillForm
from ktc.skills.models import Profession, Skill


def require(allowed):
    if not allowed:
        abort(403)


def _get(model, object_id):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


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
    if form.validate_on_submit():
        values = dict(code=form.code.data, name=form.name.data, category=form.category.data,
                      description=form.description.data, refresh_months=form.refresh_months.data,
                      active=form.active.data)
        try:
            if skill is None:
                skill = ops.create_skill(**values)
            else:
                ops.update_skill(skill, **values)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash(_("%(name)s has been saved.", name=skill.name), "success")
            return redirect(url_for("skills.index"))
    status = 422 if form.errors else 200
    return render_template("skills/skill_form.html", form=form, skill=skill), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(policy.can_manage_catalogue(current_user))
    return _skill_form(None)


@bp.route("/<int:skill_id>/edit", methods=["GET", "POST"])
@login_required
def edit(skill_id):
    require(policy.can_manage_catalogue(current_user))
    return _skill_form(_get(Skill, skill_id))


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_skills():
    require(policy.can_manage_catalogue(current_user))
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            stored = csvimport.store_upload(current_user, ops.SKILLS_IMPORT, upload.filename, upload.read())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            return redirect(url_for("skills.import_preview", upload_id=stored.id))
    status = 422 if form.errors else 200
    return render_template("skills/import.html", form=form), status


@bp.route("/import/<upload_id>", methods=["GET", "POST"])
@login_required
def import_preview(upload_id):
    require(policy.can_manage_catalogue(current_user))
    upload = csvimport.get_upload(current_user, ops.SKILLS_IMPORT, upload_id)
    form = ConfirmForm()
    status = 200
    if form.validate_on_submit():
        try:
            result = ops.import_skills(upload.content)
            csvimport.discard_upload(upload)
            db.session.commit()
        except DomainError as exc:  # ImportFailed, or a Conflict from a concurrent import
            db.session.rollback()
            flash(str(exc), "error")
            status = 422
        else:
            flash(_("Import done: %(created)s added, %(updated)s updated.", created=result.created,
                    updated=result.updated), "success")
            return redirect(url_for("skills.index"))
    preview = ops.preview_skills_import(upload.content)
    return render_template(
        "skills/import_preview.html", preview=preview, upload=upload, form=form,
        upload_url=url_for("skills.import_skills"),
    ), status


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
    if form.validate_on_submit():
        try:
            if profession is None:
                profession = ops.create_profession(form.name.data, form.skill_ids.data)
            else:
                ops.update_profession(profession, form.name.data, form.skill_ids.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash(_("%(name)s has been saved.", name=profession.name), "success")
            return redirect(url_for("skills.professions"))
    status = 422 if form.errors else 200
    return render_template("skills/profession_form.html", form=form, profession=profession), status


@bp.route("/professions/new", methods=["GET", "POST"])
@login_required
def create_profession():
    require(policy.can_manage_catalogue(current_user))
    return _profession_form(None)


@bp.route("/professions/<int:profession_id>/edit", methods=["GET", "POST"])
@login_required
def edit_profession(profession_id):
    require(policy.can_manage_catalogue(current_user))
    return _profession_form(_get(Profession, profession_id))
