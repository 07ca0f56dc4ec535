"""Organisations, units and their staff: create, edit, list, import. Operations flush, never commit."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.accounts.models import User
from ktc.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.organisations import csvimport
from ktc.organisations.csvimport import ImportResult
from ktc.organisations.models import SIDES, Organisation, Participant, Unit
from ktc.paths import operations as paths_ops
from ktc.skills.models import Profession

STAFF_IMPORT = "staff"
STAFF_COLUMNS = {
    "name": ("name", "namn"),
    "email": ("email", "e-post", "e-mail", "epost", "mejl"),
    "profession": ("profession", "yrke"),
    "organisation": ("organisation", "organization", "org"),
    "unit": ("unit", "enhet"),
    "active": ("active", "aktiv"),
}
STAFF_REQUIRED = ("name", "email", "unit")


def clean(text):
    return (text or "").strip()


def flush_unique(message, field):
    """Flush; a unique constraint hit by a concurrent writer becomes a Conflict on the field."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise Conflict(message, field=field) from exc


def _name_taken(column, name, exclude_id=None, *conditions):
    stmt = select(column.class_.id).where(func.lower(column) == name.lower(), *conditions)
    if exclude_id is not None:
        stmt = stmt.where(column.class_.id != exclude_id)
    return db.session.execute(stmt.limit(1)).first() is not None


# --- organisations -----------------------------------------------------------------------------

def _check_organisation(name, side, exclude_id=None):
    if not name:
        raise ValidationError(_l("Enter a name."), field="name")
    if side not in SIDES:
        raise ValidationError(_l("Choose municipality or region."), field="side")
    if _name_taken(Organisation.name, name, exclude_id):
        raise Conflict(_l("An organisation with that name already exists."), field="name")


def create_organisation(name, side, org_number=""):
    """Add a municipality or region; names are unique regardless of case."""
    name = clean(name)
    _check_organisation(name, side)
    org = Organisation(name=name, side=side, org_number=clean(org_number) or None)
    db.session.add(org)
    flush_unique(_l("An organisation with that name already exists."), "name")
    return org


def update_organisation(org, name, side, org_number=""):
    name = clean(name)
    _check_organisation(name, side, exclude_id=org.id)
    org.name, org.side, org.org_number = name, side, clean(org_number) or None
    flush_unique(_l("An organisation with that name already exists."), "name")
    return org


def list_organisations():
    """Every organisation with its units and their managers, loaded in a few queries."""
    return db.session.execute(
        select(Organisation)
        .options(selectinload(Organisation.units).selectinload(Unit.managers))
        .order_by(Organisation.name)
    ).scalars().all()


# --- units -------------------------------------------------------------------------------------

def _managers(manager_ids):
    ids = set(manager_ids or ())
    if not ids:
        return []
    users = db.session.execute(select(User).where(User.id.in_(ids))).scalars().all()
    if len(users) != len(ids) or any(u.role != "manager" for u in users):
        raise ValidationError(_l("Only users with the role unit manager can manage a unit."), field="manager_ids")
    return sorted(users, key=lambda u: u.name)


def _check_unit(org, name, exclude_id=None):
    if not name:
        raise ValidationError(_l("Enter a name."), field="name")
    if _name_taken(Unit.name, name, exclude_id, Unit.organisation_id == org.id):
        raise Conflict(_l("The organisation already has a unit with that name."), field="name")


def create_unit(org, name, manager_ids=()):
    name = clean(name)
    _check_unit(org, name)
    unit = Unit(organisation=org, name=name, managers=_managers(manager_ids))
    db.session.add(unit)
    flush_unique(_l("The organisation already has a unit with that name."), "name")
    return unit


def update_unit(unit, name, manager_ids=()):
    name = clean(name)
    _check_unit(unit.organisation, name, exclude_id=unit.id)
    unit.name = name
    unit.managers = _managers(manager_ids)
    policy.forget_managed_units()
    flush_unique(_l("The organisation already has a unit with that name."), "name")
    return unit


def manageable_units(actor):
    """Units the actor may put staff in: every unit for admins, their own for managers."""
    stmt = select(Unit).join(Unit.organisation).options(selectinload(Unit.organisation))
    if not policy.is_admin(actor):
        stmt = stmt.where(Unit.id.in_(policy.managed_unit_ids(actor) or {-1}))
    return db.session.execute(stmt.order_by(Organisation.name, Unit.name)).scalars().all()


# --- participants (staff) ----------------------------------------------------------------------

@dataclass
class StaffFilter:
    organisation_id: int | None = None
    unit_id: int | None = None
    profession_id: int | None = None
    active: bool | None = None
    q: str = ""


SEARCH_LIMIT = 20
SEARCH_MAX_TERMS = 4


def _term_patterns(term):
    """LIKE patterns for one search word: the start of the name, of any later word in it, or of the e-mail.

    Compared with lower(name): PostgreSQL lowers every letter, SQLite only A–Z, so the word is also
    tried with a capital first letter (as names are written) and "öst" finds "Östlund" on both.
    """
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    forms = {escaped.lower(), escaped[:1].upper() + escaped[1:].lower()}
    name = func.lower(Participant.name)
    conditions = [func.lower(Participant.email).like(f"{escaped.lower()}%", escape="\\")]
    for form in sorted(forms):
        conditions += [name.like(f"{form}%", escape="\\"), name.like(f"% {form}%", escape="\\")]
    return or_(*conditions)


def search_staff(actor, q="", unit_id=None, limit=SEARCH_LIMIT):
    """Active staff the actor may book whose name (any word's start) or e-mail starts with each word of `q`.

    One statement, whatever the number of staff: unit, organisation and profession come joined, and
    the answer stops at `limit` rows in name order (served by the (unit, name) and name indexes).
    Managers only ever find people of their own units; admins everyone.
    """
    if not policy.can_list_staff(actor):
        raise PermissionDenied()
    from sqlalchemy.orm import contains_eager

    stmt = (
        select(Participant)
        .join(Unit, Unit.id == Participant.unit_id)
        .join(Organisation, Organisation.id == Unit.organisation_id)
        .outerjoin(Profession, Profession.id == Participant.profession_id)
        .where(Participant.active.is_(True), Participant.anonymised_at.is_(None),
               policy.participants_visible_to(actor))
        .options(contains_eager(Participant.unit).contains_eager(Unit.organisation),
                 contains_eager(Participant.profession))
    )
    if unit_id:
        stmt = stmt.where(Participant.unit_id == unit_id)
    for term in q.split()[:SEARCH_MAX_TERMS]:
        stmt = stmt.where(_term_patterns(term))
    stmt = stmt.order_by(Participant.name, Participant.id).limit(limit)
    return db.session.execute(stmt).scalars().all()


def list_participants(actor, filters=None, limit=None, offset=0):
    """The staff the actor may see: everyone for admins, their units' people for managers, a participant themself."""
    if not policy.can_list_participants(actor):
        raise PermissionDenied()
    f = filters or StaffFilter()
    stmt = (
        select(Participant)
        .join(Participant.unit)
        .join(Unit.organisation)
        .where(Participant.anonymised_at.is_(None), policy.participants_visible_to(actor))
        .options(
            selectinload(Participant.unit).selectinload(Unit.organisation),
            selectinload(Participant.profession),
        )
    )
    if f.organisation_id:
        stmt = stmt.where(Unit.organisation_id == f.organisation_id)
    if f.unit_id:
        stmt = stmt.where(Participant.unit_id == f.unit_id)
    if f.profession_id:
        stmt = stmt.where(Participant.profession_id == f.profession_id)
    if f.active is not None:
        stmt = stmt.where(Participant.active.is_(f.active))
    if f.q:
        pattern = f"%{f.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Participant.name).like(pattern), func.lower(Participant.email).like(pattern)))
    stmt = stmt.order_by(Participant.name, Participant.id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return db.session.execute(stmt).scalars().all()


def get_participant_for(actor, participant_id):
    """The participant if the actor may manage them; otherwise not found (no hint that they exist)."""
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.anonymised_at is not None:
        raise NotFound()
    if not policy.can_manage_participant(actor, participant):
        raise NotFound()
    return participant


def _check_participant(actor, name, email, unit, exclude_id=None):
    """email may be None: a member of staff need not have an address (the staff screens ask for one)."""
    if not name:
        raise ValidationError(_l("Enter a name."), field="name")
    if unit is None:
        raise ValidationError(_l("Choose a unit."), field="unit_id")
    # Permission before the address: nobody learns what is wrong with data they may not write.
    if not policy.can_manage_unit(actor, unit):
        raise PermissionDenied(_l("You can only place staff in units you manage."), field="unit_id")
    if email is None:
        return
    if not csvimport.valid_email(email):
        raise ValidationError(_l("Enter a valid e-mail address."), field="email")
    stmt = select(Participant.id).where(Participant.email == email)
    if exclude_id is not None:
        stmt = stmt.where(Participant.id != exclude_id)
    if db.session.execute(stmt).first() is not None:
        raise Conflict(_l("Someone on the staff list already has that e-mail address."), field="email")


def create_participant(actor, name, email, unit, profession=None, active=True):
    """Add a member of staff to a unit the actor manages (admins: any unit)."""
    name, email = clean(name), clean(email).lower() or None
    _check_participant(actor, name, email, unit)
    participant = Participant(name=name, email=email, unit=unit, profession=profession, active=bool(active))
    db.session.add(participant)
    flush_unique(_l("Someone on the staff list already has that e-mail address."), "email")
    paths_ops.assign_automatically(participant)
    return participant


def update_participant(actor, participant, name, email, unit, profession=None, active=True):
    """Edit a member of staff; a manager may move them only between units they manage."""
    if not policy.can_manage_participant(actor, participant):
        raise NotFound()
    name, email = clean(name), clean(email).lower() or None
    _check_participant(actor, name, email, unit, exclude_id=participant.id)
    participant.name, participant.email, participant.unit = name, email, unit
    participant.profession, participant.active = profession, bool(active)
    flush_unique(_l("Someone on the staff list already has that e-mail address."), "email")
    return participant


# --- staff import ------------------------------------------------------------------------------

def preview_staff_import(actor, content):
    """Check every row of a staff CSV against the database; nothing is written."""
    preview = csvimport.parse_rows(content, STAFF_COLUMNS, STAFF_REQUIRED)
    if preview.file_errors:
        return preview
    units = db.session.execute(select(Unit).options(selectinload(Unit.organisation))).scalars().all()
    by_org_unit, by_unit = {}, {}
    for unit in units:
        by_org_unit[(unit.organisation.name.lower(), unit.name.lower())] = unit
        by_unit.setdefault(unit.name.lower(), []).append(unit)
    org_names = {org.name.lower() for org in {u.organisation for u in units}}
    org_names |= {name.lower() for name in db.session.execute(select(Organisation.name)).scalars()}
    professions = {p.name.lower(): p for p in db.session.execute(select(Profession)).scalars()}
    emails = [clean(r.values["email"]).lower() for r in preview.rows]
    existing = csvimport.existing_by(Participant, Participant.email, emails)
    own_units = None if policy.is_admin(actor) else policy.managed_unit_ids(actor)
    first_line = {}

    for row in preview.rows:
        v = {k: clean(val) for k, val in row.values.items()}
        email = v["email"].lower()
        if not v["name"]:
            row.errors.append(_l("Name is missing."))
        if not email:
            row.errors.append(_l("E-mail is missing."))
        elif not csvimport.valid_email(email):
            row.errors.append(_l("“%(email)s” is not a valid e-mail address.", email=v["email"]))
        elif email in first_line:
            row.errors.append(_l("The e-mail address is also on line %(line)s of the file.", line=first_line[email]))
        else:
            first_line[email] = row.line
        unit = _resolve_unit(row, v, by_org_unit, by_unit, org_names)
        if unit is not None and own_units is not None and unit.id not in own_units:
            row.errors.append(_l("You do not manage the unit “%(unit)s”.", unit=unit.name))
        profession = None
        if v["profession"]:
            profession = professions.get(v["profession"].lower())
            if profession is None:
                row.errors.append(_l("Unknown profession “%(name)s”.", name=v["profession"]))
        active = csvimport.parse_bool(v["active"])
        if active is None:
            row.errors.append(_l("Active must be yes or no (ja/nej)."))
        current = existing.get(email)
        if current is not None:
            row.action = "update"
            if current.anonymised_at is not None or (
                own_units is not None and current.unit_id not in own_units
            ):
                row.errors.append(_l("The e-mail address belongs to someone in a unit you do not manage."))
        row.resolved = {"name": v["name"], "email": email, "unit": unit, "profession": profession,
                        "active": active, "current": current}
    return preview


def _resolve_unit(row, v, by_org_unit, by_unit, org_names):
    if not v["unit"]:
        row.errors.append(_l("Unit is missing."))
        return None
    if v["organisation"]:
        if v["organisation"].lower() not in org_names:
            row.errors.append(_l("Unknown organisation “%(name)s”.", name=v["organisation"]))
            return None
        unit = by_org_unit.get((v["organisation"].lower(), v["unit"].lower()))
        if unit is None:
            row.errors.append(_l("Unknown unit “%(unit)s” in %(org)s.", unit=v["unit"], org=v["organisation"]))
        return unit
    candidates = by_unit.get(v["unit"].lower(), [])
    if not candidates:
        row.errors.append(_l("Unknown unit “%(unit)s”.", unit=v["unit"]))
        return None
    if len(candidates) > 1:
        row.errors.append(_l("Several organisations have a unit called “%(unit)s”: fill in the organisation.",
                             unit=v["unit"]))
        return None
    return candidates[0]


def import_staff(actor, content):
    """Import every row of a staff CSV, or nothing: raises ImportFailed if any row is bad."""
    preview = preview_staff_import(actor, content)
    preview.raise_unless_ok()
    result = ImportResult()
    for row in preview.rows:
        r = row.resolved
        participant = r["current"]
        if participant is None:
            participant = Participant()
            db.session.add(participant)
            result.created += 1
        else:
            result.updated += 1
        participant.name, participant.email, participant.unit = r["name"], r["email"], r["unit"]
        # A column left out of the file leaves that value as it was.
        if "profession" in preview.present or row.action == "create":
            participant.profession = r["profession"]
        if "active" in preview.present or row.action == "create":
            participant.active = r["active"]
    flush_unique(_l("Someone on the staff list already has that e-mail address."), "file")
    return result
