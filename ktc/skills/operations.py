"""The skills catalogue and professions: create, edit, import. Operations flush, never commit."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ktc.errors import Conflict, ValidationError
from ktc.extensions import db
from ktc.organisations import csvimport
from ktc.organisations.csvimport import ImportResult
from ktc.organisations.operations import clean, flush_unique
from ktc.skills.models import Profession, Skill

SKILLS_IMPORT = "skills"
SKILL_COLUMNS = {
    "code": ("code", "kod"),
    "name": ("name", "namn"),
    "category": ("category", "kategori"),
    "description": ("description", "beskrivning"),
    "refresh_months": ("refresh_months", "förnyelse_månader", "refresh (months)", "förnyelse (månader)",
                       "förnyelse_manader"),
    "active": ("active", "aktiv"),
}
SKILL_REQUIRED = ("code", "name")
MAX_REFRESH_MONTHS = 240


def parse_refresh_months(text):
    """Months as a positive whole number, None for empty (never expires); ValueError otherwise."""
    text = clean(str(text) if text is not None else "")
    if not text:
        return None
    months = int(text)
    if not 1 <= months <= MAX_REFRESH_MONTHS:
        raise ValueError(text)
    return months


def _check_skill(code, name, refresh_months, exclude_id=None):
    if not code:
        raise ValidationError(_l("Enter a code."), field="code")
    if not name:
        raise ValidationError(_l("Enter a name."), field="name")
    if refresh_months is not None and not 1 <= refresh_months <= MAX_REFRESH_MONTHS:
        raise ValidationError(_l("Give the refresh interval as 1 to 240 months, or leave it empty."),
                              field="refresh_months")
    stmt = select(Skill.id).where(func.lower(Skill.code) == code.lower())
    if exclude_id is not None:
        stmt = stmt.where(Skill.id != exclude_id)
    if db.session.execute(stmt).first() is not None:
        raise Conflict(_l("Another skill already has that code."), field="code")


def create_skill(code, name, category="", description="", refresh_months=None, active=True):
    """Add a skill to the catalogue; codes are unique regardless of case."""
    code, name = clean(code).upper(), clean(name)
    _check_skill(code, name, refresh_months)
    skill = Skill(code=code, name=name, category=clean(category), description=(description or "").strip(),
                  refresh_months=refresh_months, active=bool(active))
    db.session.add(skill)
    flush_unique(_l("Another skill already has that code."), "code")
    return skill


def update_skill(skill, code, name, category="", description="", refresh_months=None, active=True):
    code, name = clean(code).upper(), clean(name)
    _check_skill(code, name, refresh_months, exclude_id=skill.id)
    skill.code, skill.name, skill.category = code, name, clean(category)
    skill.description, skill.refresh_months, skill.active = (description or "").strip(), refresh_months, bool(active)
    flush_unique(_l("Another skill already has that code."), "code")
    return skill


def list_skills(active=None, by_code=False):
    """The catalogue, grouped by category (or by code alone, as the API lists it)."""
    stmt = select(Skill).order_by(Skill.code) if by_code else select(Skill).order_by(Skill.category, Skill.code)
    if active is not None:
        stmt = stmt.where(Skill.active.is_(active))
    return db.session.execute(stmt).scalars().all()


def skills_by_id(skill_ids):
    """The catalogue skills with these ids, in code order; refuses unknown ids."""
    ids = set(skill_ids or ())
    if not ids:
        return []
    skills = db.session.execute(select(Skill).where(Skill.id.in_(ids)).order_by(Skill.code)).scalars().all()
    if len(skills) != len(ids):
        raise ValidationError(_l("Choose skills from the catalogue."), field="skill_ids")
    return skills


def _check_profession(name, exclude_id=None):
    if not name:
        raise ValidationError(_l("Enter a name."), field="name")
    stmt = select(Profession.id).where(func.lower(Profession.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Profession.id != exclude_id)
    if db.session.execute(stmt).first() is not None:
        raise Conflict(_l("A profession with that name already exists."), field="name")


def create_profession(name, skill_ids=()):
    """Add a profession with the skills it requires."""
    name = clean(name)
    _check_profession(name)
    profession = Profession(name=name, required_skills=skills_by_id(skill_ids))
    db.session.add(profession)
    flush_unique(_l("A profession with that name already exists."), "name")
    return profession


def update_profession(profession, name, skill_ids=()):
    name = clean(name)
    _check_profession(name, exclude_id=profession.id)
    profession.name = name
    profession.required_skills = skills_by_id(skill_ids)
    flush_unique(_l("A profession with that name already exists."), "name")
    return profession


def list_professions():
    return db.session.execute(
        select(Profession).options(selectinload(Profession.required_skills)).order_by(Profession.name)
    ).scalars().all()


# --- skills import -----------------------------------------------------------------------------

def preview_skills_import(content):
    """Check every row of a skills CSV; nothing is written."""
    preview = csvimport.parse_rows(content, SKILL_COLUMNS, SKILL_REQUIRED)
    if preview.file_errors:
        return preview
    codes = [clean(r.values["code"]).upper() for r in preview.rows]
    existing = {
        s.code.upper(): s
        for s in db.session.execute(select(Skill).where(func.upper(Skill.code).in_([c for c in codes if c]))).scalars()
    }
    first_line = {}
    for row in preview.rows:
        v = {k: clean(val) for k, val in row.values.items()}
        code = v["code"].upper()
        if not code:
            row.errors.append(_l("Code is missing."))
        elif len(code) > 40:
            row.errors.append(_l("The code is longer than 40 characters."))
        elif code in first_line:
            row.errors.append(_l("The code is also on line %(line)s of the file.", line=first_line[code]))
        else:
            first_line[code] = row.line
        if not v["name"]:
            row.errors.append(_l("Name is missing."))
        elif len(v["name"]) > 200:
            row.errors.append(_l("The name is longer than 200 characters."))
        try:
            months = parse_refresh_months(v["refresh_months"])
        except ValueError:
            months = None
            row.errors.append(_l("“%(value)s” is not a number of months (1–240); leave it empty if the skill never "
                                 "expires.", value=v["refresh_months"]))
        active = csvimport.parse_bool(v["active"])
        if active is None:
            row.errors.append(_l("Active must be yes or no (ja/nej)."))
        current = existing.get(code)
        row.action = "update" if current is not None else "create"
        row.resolved = {"code": code, "name": v["name"], "category": v["category"][:100],
                        "description": row.values["description"].strip(), "refresh_months": months,
                        "active": active, "current": current}
    return preview


def import_skills(content):
    """Import every row of a skills CSV, or nothing: raises ImportFailed if any row is bad."""
    preview = preview_skills_import(content)
    preview.raise_unless_ok()
    result = ImportResult()
    for row in preview.rows:
        r = row.resolved
        skill = r["current"]
        if skill is None:
            skill = Skill(code=r["code"])
            db.session.add(skill)
            result.created += 1
        else:
            result.updated += 1
        skill.code, skill.name = r["code"], r["name"]
        # A column left out of the file leaves that value as it was.
        for key in ("category", "description", "refresh_months", "active"):
            if key in preview.present or row.action == "create":
                setattr(skill, key, r[key])
    flush_unique(_l("Another skill already has that code."), "file")
    return result
