"""Screens for learning paths: define (admin), assign and follow (managers), own progress (participants)."""
import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ktc import policy
from ktc.confirm import ask, confirmed
from ktc.csvutil import csv_response
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.i18n import local_today
from ktc.organisations import csvimport
from ktc.organisations.forms import options
from ktc.organisations.models import Participant
from ktc.organisations.operations import StaffFilter, list_participants
from ktc.paths import bp
from ktc.paths import exchange
from ktc.paths import operations as ops
from ktc.paths.circles import upcoming_meetings_for
from ktc.paths.forms import STEP_KIND_LABELS, AssignForm, PathFileForm, PathForm, StepForm
from ktc.paths.models import LearningPath, PathStep
from ktc.skills.models import Profession
from ktc.web import form_page, get_or_404, object_id, require, show_domain_error



def status_labels():
    return {"done": _("Done"), "due": _("To do"), "late": _("Late")}


# For the path templates; globals rather than a context processor, which would run for every page.
bp.add_app_template_global(STEP_KIND_LABELS, "step_kind_labels")


@bp.app_template_global("policy_can_complete")
def _can_complete(assignment, step):
    return policy.can_complete_path_step(current_user, assignment, step)


@bp.app_template_global("policy_can_undo")
def _can_undo(assignment):
    return policy.can_manage_participant(current_user, assignment.participant)


# --- defining paths (admin) --------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    require(policy.can_manage_paths(current_user))
    return render_template("paths/index.html", paths=ops.list_paths())


def _path_form(path):
    form = PathForm(obj=path)
    professions = db.session.execute(select(Profession).order_by(Profession.name)).scalars().all()
    form.profession_id.choices = options([("", _("Any profession"))] + [(str(p.id), p.name) for p in professions])

    def save():
        nonlocal path
        profession = db.session.get(Profession, form.profession_id.data) if form.profession_id.data else None
        values = dict(name=form.name.data, description=form.description.data, profession=profession,
                      unit_kind=form.unit_kind.data, auto_assign=form.auto_assign.data, active=form.active.data)
        if path is None:
            path = ops.create_path(**values)
        else:
            ops.update_path(path, **values)
        return path

    return form_page(form, save, "paths.detail", "paths/path_form.html", done_args=lambda p: {"path_id": p.id},
                     path=path)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(policy.can_manage_paths(current_user))
    return _path_form(None)


@bp.route("/<int:path_id>/edit", methods=["GET", "POST"])
@login_required
def edit(path_id):
    require(policy.can_manage_paths(current_user))
    return _path_form(get_or_404(LearningPath, path_id))


@bp.route("/<int:path_id>")
@login_required
def detail(path_id):
    require(policy.can_manage_paths(current_user))
    path = get_or_404(LearningPath, path_id)
    return render_template("paths/detail.html", path=path)


def _step_form(path, step):
    form = StepForm(obj=step)
    if step is not None and request.method == "GET":
        form.prerequisite_ids.data = [s.id for s in step.prerequisites]
    form.skill_id.choices = options([("", _("Choose a skill"))]
                                    + [(str(s.id), f"{s.code} {s.name}") for s in ops.skills_for_steps()])
    form.prerequisite_ids.choices = options([(s.id, f"{s.position}. {s.title}") for s in path.steps if s is not step])

    def save():
        from ktc.skills.models import Skill

        skill = db.session.get(Skill, form.skill_id.data) if form.skill_id.data else None
        values = dict(kind=form.kind.data, title=form.title.data, skill=skill, url=form.url.data,
                      material=form.material.data, due_days=form.due_days.data,
                      prerequisite_ids=form.prerequisite_ids.data)
        if step is None:
            saved = ops.add_step(path, **values)
        else:
            saved = ops.update_step(step, **values)
        saved.name = saved.title  # form_page says "<name> has been saved"
        return saved

    return form_page(form, save, "paths.detail", "paths/step_form.html", done_args=lambda s: {"path_id": path.id},
                     path=path, step=step)


@bp.route("/<int:path_id>/steps/new", methods=["GET", "POST"])
@login_required
def create_step(path_id):
    require(policy.can_manage_paths(current_user))
    return _step_form(get_or_404(LearningPath, path_id), None)


@bp.route("/steps/<int:step_id>/edit", methods=["GET", "POST"])
@login_required
def edit_step(step_id):
    require(policy.can_manage_paths(current_user))
    step = get_or_404(PathStep, step_id)
    return _step_form(step.path, step)


@bp.route("/steps/<int:step_id>/move", methods=["POST"])
@login_required
def move_step(step_id):
    require(policy.can_manage_paths(current_user))
    step = get_or_404(PathStep, step_id)
    ops.move_step(step, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for(".detail", path_id=step.path_id))


@bp.route("/steps/<int:step_id>/delete", methods=["POST"])
@login_required
def delete_step(step_id):
    require(policy.can_manage_paths(current_user))
    step = get_or_404(PathStep, step_id)
    path_id = step.path_id
    if not confirmed():
        return ask(_("Remove the step?"),
                   _("“%(title)s” is removed from the path and from the progress of everyone on it.", title=step.title),
                   _("Yes, remove the step"), url_for(".detail", path_id=path_id))
    ops.delete_step(step)
    flash(_("The step is removed."), "success")
    return redirect(url_for(".detail", path_id=path_id))


@bp.route("/<int:path_id>/export.json")
@login_required
def export_json(path_id):
    require(policy.can_manage_paths(current_user))
    path = get_or_404(LearningPath, path_id)
    body = json.dumps(exchange.export_path(path), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="larvag-{path.id}.json"'})


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_path():
    require(policy.can_manage_paths(current_user))
    form = PathFileForm()
    if form.validate_on_submit():
        try:
            stored = csvimport.store_upload(current_user, exchange.PATH_IMPORT, form.file.data.filename,
                                            form.file.data.read())
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            return redirect(url_for(".import_path_preview", upload_id=stored.id))
    return render_template("paths/import_path.html", form=form), 422 if form.errors else 200


@bp.route("/import/<upload_id>", methods=["GET", "POST"])
@login_required
def import_path_preview(upload_id):
    require(policy.can_manage_paths(current_user))
    return csvimport.preview_step(exchange.PATH_IMPORT, upload_id, exchange.preview_path_import, exchange.import_path,
                                  "paths/import_path_preview.html", "paths.import_path", "paths.index")


# --- assignment (managers and admins) ------------------------------------------------------------

@bp.route("/assign", methods=["GET", "POST"])
@login_required
def assign():
    require(policy.can_follow_team_paths(current_user))
    units = ops.visible_units(current_user)
    unit_id = request.args.get("unit_id", type=object_id) or (units[0].id if len(units) == 1 else None)
    unit = next((u for u in units if u.id == unit_id), None)
    people = list_participants(current_user, StaffFilter(unit_id=unit.id, active=True)) if unit else []
    paths = db.session.execute(select(LearningPath).where(LearningPath.active.is_(True))
                               .order_by(LearningPath.name)).scalars().all()
    form = AssignForm()
    form.path_id.choices = options([("", _("Choose a learning path"))] + [(str(p.id), p.name) for p in paths])
    form.participant_ids.choices = options([(p.id, p.name) for p in people])
    if request.method == "GET" and request.args.get("path_id", type=object_id):
        form.path_id.data = request.args.get("path_id", type=object_id)
    if request.method == "GET":
        form.start_date.data = local_today()
    if form.validate_on_submit():
        chosen = [p for p in people if p.id in set(form.participant_ids.data or ())]
        path = next((p for p in paths if p.id == form.path_id.data), None)
        try:
            if unit is None or path is None:
                abort(404)
            if not chosen:
                raise ops.ValidationError(_("Tick at least one person."), field="participant_ids")
            result = ops.assign(current_user, path, chosen, form.start_date.data)
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash(ngettext("%(num)s person was put on the path.", "%(num)s people were put on the path.",
                           len(result.created)), "success")
            if result.already:
                flash(_("Already on the path (start date kept): %(names)s.",
                        names=", ".join(p.name for p in result.already)), "info")
            return redirect(url_for(".team", unit_id=unit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("paths/assign.html", form=form, units=units, unit=unit, people=people), status


@bp.route("/assign/import", methods=["GET", "POST"])
@login_required
def import_assignments():
    require(policy.can_follow_team_paths(current_user))
    return csvimport.upload_step(ops.ASSIGNMENT_IMPORT, "paths/import.html", "paths.import_assignments_preview")


@bp.route("/assign/import/<upload_id>", methods=["GET", "POST"])
@login_required
def import_assignments_preview(upload_id):
    require(policy.can_follow_team_paths(current_user))
    return csvimport.preview_step(
        ops.ASSIGNMENT_IMPORT, upload_id, lambda content: ops.preview_assignment_import(current_user, content),
        lambda content: ops.import_assignments(current_user, content),
        "paths/import_preview.html", "paths.import_assignments", "paths.team",
    )


@bp.route("/assignments/<int:assignment_id>/remove", methods=["POST"])
@login_required
def remove_assignment(assignment_id):
    assignment = ops.get_assignment_for(current_user, assignment_id)
    require(policy.can_manage_participant(current_user, assignment.participant))
    back = url_for(".person", participant_id=assignment.participant_id)
    if not confirmed():
        return ask(_("Take the person off the path?"),
                   _("%(name)s is taken off “%(path)s”. Steps marked done on the path are forgotten.",
                     name=assignment.participant.name, path=assignment.path.name),
                   _("Yes, take them off"), back)
    ops.unassign(current_user, assignment)
    flash(_("The person is taken off the path."), "success")
    return redirect(back)


# --- progress ----------------------------------------------------------------------------------

def _back_to(assignment):
    if current_user.participant_id == assignment.participant_id and not policy.can_follow_team_paths(current_user):
        return url_for(".mine")
    return url_for(".person", participant_id=assignment.participant_id)


@bp.route("/assignments/<int:assignment_id>/steps/<int:step_id>/done", methods=["POST"])
@login_required
def complete_step(assignment_id, step_id):
    assignment = ops.get_assignment_for(current_user, assignment_id)
    step = get_or_404(PathStep, step_id)
    if step.path_id != assignment.path_id:
        abort(404)
    require(policy.can_complete_path_step(current_user, assignment, step))
    try:
        ops.complete_step(current_user, assignment, step)
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("“%(title)s” is marked done.", title=step.title), "success")
    return redirect(_back_to(assignment))


@bp.route("/assignments/<int:assignment_id>/steps/<int:step_id>/undo", methods=["POST"])
@login_required
def undo_step(assignment_id, step_id):
    assignment = ops.get_assignment_for(current_user, assignment_id)
    step = get_or_404(PathStep, step_id)
    if step.path_id != assignment.path_id:
        abort(404)
    require(policy.can_manage_participant(current_user, assignment.participant))
    ops.undo_completion(current_user, assignment, step)
    flash(_("“%(title)s” is no longer marked done.", title=step.title), "success")
    return redirect(_back_to(assignment))


@bp.route("/mine")
@login_required
def mine():
    if current_user.participant_id is None:
        abort(404)
    person = db.session.get(Participant, current_user.participant_id)
    return render_template("paths/person.html", person=person, progress=ops.person_progress(person),
                           labels=status_labels(), own=True, meetings=upcoming_meetings_for(person))


@bp.route("/people/<int:participant_id>")
@login_required
def person(participant_id):
    person = db.session.get(Participant, participant_id)
    if person is None or not policy.can_view_participant(current_user, person):
        abort(404)
    return render_template("paths/person.html", person=person, progress=ops.person_progress(person),
                           labels=status_labels(), own=current_user.participant_id == person.id,
                           meetings=upcoming_meetings_for(person))


@bp.route("/team")
@login_required
def team():
    require(policy.can_follow_team_paths(current_user))
    units = ops.visible_units(current_user)
    unit_id = request.args.get("unit_id", type=object_id)
    if unit_id and unit_id not in {u.id for u in units}:
        abort(404)
    unit_ids = [unit_id] if unit_id else [u.id for u in units]
    rows = ops.team_progress(unit_ids) if (unit_id or not policy.is_admin(current_user)) else []
    labels = status_labels()
    if request.args.get("format") == "csv":
        return csv_response(
            "larvagar.csv",
            [_("Name"), _("Unit"), _("Learning path"), _("Start date"), _("Done"), _("Steps"), _("Late"),
             _("Next step"), _("Due")],
            [[r.assignment.participant.name, r.assignment.participant.unit.name, r.assignment.path.name,
              r.assignment.start_date.isoformat(), r.done_count, r.total, r.late_count,
              r.next_step.step.title if r.next_step else "", r.next_step.due_date.isoformat() if r.next_step else ""]
             for r in rows],
        )
    return render_template("paths/team.html", rows=rows, units=units, unit_id=unit_id, labels=labels)


@bp.route("/overview")
@login_required
def overview():
    require(policy.can_view_paths_overview(current_user))
    return render_template("paths/overview.html", figures=ops.organisation_overview())


@bp.route("/assignments/<int:assignment_id>/certificate")
@login_required
def certificate(assignment_id):
    assignment = ops.get_assignment_for(current_user, assignment_id)
    progress = ops.progress_for([assignment])[0]
    if not progress.complete:
        abort(404)
    return render_template("paths/certificate.html", progress=progress, assignment=assignment)
