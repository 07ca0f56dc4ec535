"""Path definitions as JSON, so regions can share paths: steps refer to skills by code.

The schema (`ktc.learning-path/1`):
    {"schema": "ktc.learning-path/1", "name": str, "description": str, "profession": str | null,
     "unit_kind": str, "auto_assign": bool,
     "steps": [{"kind": "skill" | "module" | "circle", "title": str, "skill_code": str | null,
                "url": str, "material": str, "due_days": int, "requires": [step number, ...]}]}
Steps are numbered from 1 in their order; `requires` lists the numbers of the steps to do first.
An import is previewed step by step and saved whole or not at all.
"""
import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ktc.extensions import db
from ktc.organisations.csvimport import ImportPreview, ImportRow
from ktc.paths import operations as ops
from ktc.paths.models import STEP_KINDS, LearningPath
from ktc.skills.models import Profession, Skill

SCHEMA = "ktc.learning-path/1"
PATH_IMPORT = "path_json"
MAX_STEPS = 200


def export_path(path):
    """The path's definition as a JSON-ready dict."""
    number = {s.id: i for i, s in enumerate(path.steps, start=1)}
    return {
        "schema": SCHEMA,
        "name": path.name,
        "description": path.description,
        "profession": path.profession.name if path.profession else None,
        "unit_kind": path.unit_kind,
        "auto_assign": path.auto_assign,
        "steps": [{
            "kind": s.kind, "title": s.title, "skill_code": s.skill.code if s.skill else None, "url": s.url,
            "material": s.material, "due_days": s.due_days, "requires": sorted(number[p.id] for p in s.prerequisites),
        } for s in path.steps],
    }


def _text(value):
    return value.strip() if isinstance(value, str) else ""


def preview_path_import(content):
    """Check a path definition: one row per step with its errors; nothing is written."""
    preview = ImportPreview(columns=["kind", "title", "skill_code", "due_days", "requires"])
    try:
        doc = json.loads(content)
    except ValueError:
        preview.file_errors.append(_l("The file is not valid JSON."))
        return preview
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        preview.file_errors.append(_l("The file is not a KTC learning path (schema %(schema)s).", schema=SCHEMA))
        return preview
    name = _text(doc.get("name"))
    if not name:
        preview.file_errors.append(_l("The learning path has no name."))
    elif db.session.execute(select(LearningPath.id).where(func.lower(LearningPath.name) == name.lower())).first():
        preview.file_errors.append(_l("A learning path called “%(name)s” already exists.", name=name))
    profession = None
    if doc.get("profession"):
        profession = db.session.execute(
            select(Profession).where(func.lower(Profession.name) == _text(doc["profession"]).lower())
        ).scalar_one_or_none()
        if profession is None:
            preview.file_errors.append(_l("Unknown profession “%(name)s”.", name=_text(doc["profession"])))
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps or len(steps) > MAX_STEPS:
        preview.file_errors.append(_l("The learning path must have 1 to %(max)s steps.", max=MAX_STEPS))
        return preview
    codes = [_text(s.get("skill_code")) for s in steps if isinstance(s, dict)]
    skills = {s.code.lower(): s for s in db.session.execute(
        select(Skill).where(func.lower(Skill.code).in_([c.lower() for c in codes if c]))).scalars()}
    requires = {}
    for number, step in enumerate(steps, start=1):
        step = step if isinstance(step, dict) else {}
        kind, code = _text(step.get("kind")), _text(step.get("skill_code"))
        due = step.get("due_days")
        row = ImportRow(line=number, values={"kind": kind, "title": _text(step.get("title")), "skill_code": code,
                                             "due_days": due, "requires": step.get("requires") or []})
        if kind not in STEP_KINDS:
            row.errors.append(_l("Unknown kind of step “%(kind)s”.", kind=kind))
        skill = skills.get(code.lower()) if code else None
        if kind == "skill" and not code:
            row.errors.append(_l("A station skill step needs a skill code."))
        elif code and skill is None:
            row.errors.append(_l("Unknown skill code “%(code)s”.", code=code))
        if not isinstance(due, int) or isinstance(due, bool) or not 1 <= due <= ops.MAX_DUE_DAYS:
            row.errors.append(_l("Give the due time as 1 to %(max)s days after the start on the path.",
                                 max=ops.MAX_DUE_DAYS))
        if kind == "module" and not _text(step.get("url")):
            row.errors.append(_l("Enter the link to the module (e-learning or film)."))
        refs = row.values["requires"]
        if not isinstance(refs, list) or any(not isinstance(r, int) or not 1 <= r <= len(steps) or r == number
                                             for r in refs):
            row.errors.append(_l("“requires” must list the numbers of other steps of the path."))
            refs = []
        requires[number] = refs
        row.resolved = {"kind": kind, "title": _text(step.get("title")), "skill": skill,
                        "url": _text(step.get("url")), "material": _text(step.get("material")), "due_days": due}
        preview.rows.append(row)
    for number in _in_cycles(requires):
        preview.rows[number - 1].errors.append(
            _l("The prerequisites go round in a circle: this step depends on itself through other steps."))
    preview.present = {"path": (name, _text(doc.get("description")), profession, _text(doc.get("unit_kind")),
                                bool(doc.get("auto_assign")))}
    return preview


def _in_cycles(requires):
    """The step numbers that can reach themselves through `requires`."""
    found = set()
    for start in requires:
        seen, stack = set(), list(requires[start])
        while stack:
            current = stack.pop()
            if current == start:
                found.add(start)
                break
            if current not in seen:
                seen.add(current)
                stack.extend(requires.get(current, ()))
    return sorted(found)


class PathImported:
    def __init__(self, path):
        self.path, self.created, self.updated = path, 1, 0


def import_path(content):
    """Create the path from its definition, or nothing: raises ImportFailed if any step is bad."""
    preview = preview_path_import(content)
    preview.raise_unless_ok()
    name, description, profession, unit_kind, auto_assign = preview.present["path"]
    path = ops.create_path(name, description, profession, unit_kind, auto_assign)
    made = []
    for row in preview.rows:
        r = row.resolved
        made.append(ops.add_step(path, r["kind"], r["title"], r["skill"], r["url"], r["material"], r["due_days"]))
    for row, step in zip(preview.rows, made):
        step.prerequisites = [made[n - 1] for n in row.values["requires"]]
    db.session.flush()
    return PathImported(path)
