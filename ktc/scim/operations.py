"""SCIM 2.0 Users (RFC 7643/7644) on KTC's staff lists, one organisation per bearer token.

A SCIM User is a staff record (Participant) of one of the token's organisation's units;
`userName` is its e-mail address; the enterprise extension's `department` names its unit (a unit
of that name is made in the organisation when there is none). Deactivation (`active: false`, or
DELETE) keeps every record and signed skill, cancels the person's future bookings and blocks
their sign-in.
"""
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ktc import audit
from ktc.accounts.models import User
from ktc.accounts.operations import deactivate_user, hash_token
from ktc.database import savepoint, utcnow
from ktc.errors import Conflict
from ktc.extensions import db
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.scim.models import ScimToken, ScimUser

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
MAX_START_INDEX = 2**31 - 1


class ScimError(Exception):
    """An RFC 7644 §3.12 error: HTTP status, scimType and a detail for the provisioning log."""

    def __init__(self, status, detail, scim_type=None):
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type

    def body(self):
        body = {"schemas": [ERROR], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def invalid(detail):
    return ScimError(400, detail, "invalidValue")


class SystemActor:
    """Provisioning acts as KTC itself: an admin for the booking rules (the cut-off does not keep a
    seat for someone who has left), nobody in the audit log (actor id None)."""

    id = None
    role = "admin"
    is_authenticated = True
    participant_id = None


# --- tokens --------------------------------------------------------------------------------------

def issue_token(organisation):
    """A new provisioning token for the organisation; the plain token is returned once."""
    token = "scim_" + secrets.token_urlsafe(32)
    db.session.add(ScimToken(organisation=organisation, token_hash=hash_token(token)))
    audit.record(None, "scim_token_issued", organisation)
    db.session.flush()
    return token


def organisation_for_token(token):
    """The organisation of a live token, in one query. The token is found by its SHA-256 (a unique
    index), so the database never compares the secret itself and its timing tells nothing of it."""
    return db.session.execute(
        select(Organisation).join(ScimToken, ScimToken.organisation_id == Organisation.id)
        .where(ScimToken.token_hash == hash_token(token or ""), ScimToken.revoked_at.is_(None))
    ).scalar_one_or_none()


# --- reading ----------------------------------------------------------------------------------

@dataclass
class Scope:
    organisation: object

    def participant(self, resource_id):
        """The organisation's staff record with this SCIM id (404 for others' and deleted ones)."""
        try:
            pid = int(resource_id)
        except (TypeError, ValueError):
            raise ScimError(404, f"Resource {resource_id} not found") from None
        row = db.session.execute(
            select(Participant).join(Unit).outerjoin(ScimUser, ScimUser.participant_id == Participant.id)
            .where(Participant.id == pid, Unit.organisation_id == self.organisation.id,
                   Participant.anonymised_at.is_(None), ScimUser.deleted_at.is_(None))
        ).scalar_one_or_none()
        if row is None:
            raise ScimError(404, f"Resource {resource_id} not found")
        return row

    def search(self, filter_text, start_index=1, count=100):
        """(total, start index, [(participant, its ScimUser or None)]) for one page: the people, their
        units and what SCIM knows of them in one query."""
        stmt = (
            select(Participant, ScimUser).join(Unit).outerjoin(ScimUser, ScimUser.participant_id == Participant.id)
            .options(contains_eager(Participant.unit))
            .where(Unit.organisation_id == self.organisation.id, Participant.anonymised_at.is_(None),
                   ScimUser.deleted_at.is_(None))
        )
        if filter_text:
            match = re.fullmatch(r'\s*(userName|externalId)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*', filter_text, re.I)
            if not match:
                raise ScimError(400, 'Only the filters userName eq "…" and externalId eq "…" are supported.',
                                "invalidFilter")
            attribute, value = match.group(1).lower(), match.group(2).replace('\\"', '"')
            if attribute == "username":
                stmt = stmt.where(func.lower(Participant.email) == value.strip().lower())
            else:
                stmt = stmt.where(ScimUser.external_id == value)
        total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        # Bounded by what an OFFSET can hold on both databases: past the end is an empty page, not a 500.
        start_index = min(max(int(start_index or 1), 1), MAX_START_INDEX)
        count = min(max(int(count if count is not None else 100), 0), 200)
        rows = db.session.execute(stmt.order_by(Participant.id).offset(start_index - 1).limit(count)).all()
        return total, start_index, rows


def scim_user_of(participant):
    return db.session.get(ScimUser, participant.id)


_LOOK_UP = object()


def to_resource(participant, location, scim=_LOOK_UP):
    """The SCIM User; `scim` is the participant's ScimUser (or None) when the caller has loaded it."""
    scim = scim_user_of(participant) if scim is _LOOK_UP else scim
    unit = participant.unit
    name = {"formatted": participant.name}
    if scim is not None and scim.given_name:
        name["givenName"] = scim.given_name
    if scim is not None and scim.family_name:
        name["familyName"] = scim.family_name
    resource = {
        "schemas": [USER, ENTERPRISE],
        "id": str(participant.id),
        "userName": participant.email,
        "name": name,
        "displayName": participant.name,
        "active": bool(participant.active),
        "emails": [{"value": participant.email, "type": "work", "primary": True}] if participant.email else [],
        ENTERPRISE: {"department": unit.name, "organization": unit.organisation.name},
        "meta": {
            "resourceType": "User",
            "created": participant.created_at.isoformat(),
            "lastModified": participant.updated_at.isoformat(),
            "location": location,
        },
    }
    if scim is not None and scim.external_id:
        resource["externalId"] = scim.external_id
    return resource


# --- writing ----------------------------------------------------------------------------------

def _bool(value, what="active"):
    """Entra ID has sent booleans as the strings "True"/"False"; both forms are taken."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid(f"{what} must be true or false")


def _text(value, what, limit=200):
    if not isinstance(value, str):
        raise invalid(f"{what} must be a string")
    return value.strip()[:limit]


@dataclass
class Changes:
    """The attributes of a User resource that KTC keeps, gathered from a POST, PUT or PATCH."""

    user_name: str | None = None
    external_id: str | None = None
    formatted: str | None = None
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    department: str | None = None
    active: bool | None = None

    def apply(self, path, value):
        """One attribute by its SCIM path; attributes KTC does not keep are ignored (Entra ID
        sends many: title, phone numbers, addresses …)."""
        key = path.strip()
        lowered = key.lower()
        if lowered.startswith(ENTERPRISE.lower() + ":"):
            if lowered[len(ENTERPRISE) + 1:] == "department":
                self.department = _text(value, "department")
            return
        if lowered.startswith(USER.lower() + ":"):
            lowered = lowered[len(USER) + 1:]
        if lowered == "username":
            self.user_name = _text(value, "userName", 254).lower()
        elif lowered == "externalid":
            self.external_id = _text(value, "externalId", 255)
        elif lowered == "active":
            self.active = _bool(value)
        elif lowered == "displayname":
            self.display_name = _text(value, "displayName")
        elif lowered == "name" and isinstance(value, dict):
            for part, v in value.items():
                self.apply(f"name.{part}", v)
        elif lowered == "name.formatted":
            self.formatted = _text(value, "name.formatted")
        elif lowered == "name.givenname":
            self.given_name = _text(value, "name.givenName")
        elif lowered == "name.familyname":
            self.family_name = _text(value, "name.familyName")
        elif lowered == ENTERPRISE.lower() and isinstance(value, dict):
            for part, v in value.items():
                self.apply(f"{ENTERPRISE}:{part}", v)

    @classmethod
    def from_resource(cls, body):
        if not isinstance(body, dict):
            raise invalid("The body must be a JSON object")
        changes = cls()
        for key, value in body.items():
            if key in ("schemas", "id", "meta", "emails"):
                continue
            changes.apply(key, value)
        if changes.user_name is None:
            raise invalid("userName is required")
        return changes


def _unit(scope, department):
    name = (department or "").strip()
    if not name:
        raise invalid(f"{ENTERPRISE}:department is required: it names the person's unit")
    unit = _unit_named(scope, name)
    if unit is not None:
        return unit
    _flush()  # the person's own changes first, so that only the unit is in the savepoint below
    try:
        with savepoint():
            unit = Unit(organisation=scope.organisation, name=name)
            db.session.add(unit)
    except IntegrityError:
        # Another request made the unit meanwhile (two new people of one new department at once).
        unit = _unit_named(scope, name)
        if unit is None:
            raise
        return unit
    audit.record(None, "scim_unit_created", object_type="unit", name=name, organisation=scope.organisation.id)
    return unit


def _unit_named(scope, name):
    # Matched in Python: SQLite's lower() leaves Å, Ä and Ö as they are.
    units = db.session.execute(select(Unit).where(Unit.organisation_id == scope.organisation.id)).scalars()
    return next((u for u in units if u.name.casefold() == name.casefold()), None)


def _check_email(user_name, exclude_id=None):
    if not user_name or "@" not in user_name:
        raise invalid("userName must be the person's e-mail address")
    stmt = select(Participant.id).where(func.lower(Participant.email) == user_name)
    if exclude_id is not None:
        stmt = stmt.where(Participant.id != exclude_id)
    if db.session.execute(stmt).first() is not None:
        raise ScimError(409, f"A user with userName {user_name} already exists", "uniqueness")


def _flush():
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise ScimError(409, "A user with that userName already exists", "uniqueness") from exc


def _name(changes, scim, current=None):
    given = changes.given_name if changes.given_name is not None else (scim.given_name if scim else None)
    family = changes.family_name if changes.family_name is not None else (scim.family_name if scim else None)
    joined = " ".join(p for p in (given, family) if p)
    return changes.formatted or changes.display_name or joined or current


def create_user(scope, body):
    """POST /Users: a new staff record, or 409 uniqueness when the userName is taken."""
    changes = Changes.from_resource(body)
    # A person deleted earlier and provisioned again gets their old record back, history and all.
    deleted = db.session.execute(
        select(Participant).join(Unit).join(ScimUser, ScimUser.participant_id == Participant.id)
        .where(func.lower(Participant.email) == changes.user_name, Unit.organisation_id == scope.organisation.id,
               ScimUser.deleted_at.is_not(None))
    ).scalar_one_or_none()
    if deleted is not None:
        scim_user_of(deleted).deleted_at = None
        changes.active = True if changes.active is None else changes.active
        return _update(scope, deleted, changes, replace=True)
    _check_email(changes.user_name)
    name = _name(changes, None)
    if not name:
        raise invalid("name.formatted, displayName or name.givenName is required")
    participant = Participant(name=name, email=changes.user_name, unit=_unit(scope, changes.department),
                              active=changes.active if changes.active is not None else True)
    db.session.add(participant)
    _flush()
    db.session.add(ScimUser(participant_id=participant.id, external_id=changes.external_id,
                            given_name=changes.given_name, family_name=changes.family_name))
    audit.record(None, "scim_user_created", participant, organisation=scope.organisation.id)
    _flush()
    return participant


def replace_user(scope, participant, body):
    """PUT /Users/{id}: the resource as sent (attributes KTC keeps)."""
    return _update(scope, participant, Changes.from_resource(body), replace=True)


def patch_user(scope, participant, body):
    """PATCH /Users/{id} with add/replace/remove operations, as Entra ID sends them."""
    if not isinstance(body, dict) or PATCH_OP not in (body.get("schemas") or []):
        raise invalid(f"A PATCH body needs the schema {PATCH_OP}")
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise invalid("Operations must be a non-empty list")
    changes = Changes()
    for operation in operations:
        if not isinstance(operation, dict):
            raise invalid("Each operation must be an object")
        op, path, value = str(operation.get("op", "")).lower(), operation.get("path"), operation.get("value")
        if op not in ("add", "replace", "remove"):
            raise invalid(f"Unknown op {operation.get('op')!r}")
        if op == "remove":
            # Only attributes KTC can do without: the external id and the name parts.
            lowered = str(path or "").lower()
            if lowered == "externalid":
                changes.external_id = ""
            elif lowered in ("name.givenname", "name.familyname"):
                changes.apply(path, "")
            continue
        if path:
            changes.apply(str(path), value)
        elif isinstance(value, dict):
            for key, v in value.items():
                changes.apply(key, v)
        else:
            raise invalid("An operation without a path needs an object value")
    return _update(scope, participant, changes, replace=False)


def _update(scope, participant, changes, replace):
    scim = scim_user_of(participant)
    if scim is None:
        scim = ScimUser(participant_id=participant.id)
        db.session.add(scim)
    if changes.user_name is not None and changes.user_name != participant.email:
        _check_email(changes.user_name, exclude_id=participant.id)
        participant.email = changes.user_name
        if participant_user := _login_of(participant):
            participant_user.email = changes.user_name
    if changes.external_id is not None:
        scim.external_id = changes.external_id or None
    name = _name(changes, scim)
    if changes.given_name is not None:
        scim.given_name = changes.given_name or None
    if changes.family_name is not None:
        scim.family_name = changes.family_name or None
    if name and (changes.formatted or changes.display_name or changes.given_name or changes.family_name):
        participant.name = name
    if changes.department is not None:
        participant.unit = _unit(scope, changes.department)
    if changes.active is False and participant.active:
        deactivate(participant)
    elif changes.active is True and not participant.active:
        reactivate(participant)
    audit.record(None, "scim_user_updated", participant, organisation=scope.organisation.id)
    _flush()
    return participant


def delete_user(scope, participant):
    """DELETE /Users/{id}: deactivation. The record stays (history, signed skills); SCIM sees 404."""
    if participant.active:
        deactivate(participant)
    scim = scim_user_of(participant)
    if scim is None:
        scim = ScimUser(participant_id=participant.id)
        db.session.add(scim)
    scim.deleted_at = utcnow()
    audit.record(None, "scim_user_deleted", participant, organisation=scope.organisation.id)
    _flush()


def _login_of(participant):
    return db.session.execute(select(User).where(User.participant_id == participant.id)).scalar_one_or_none()


def deactivate(participant, now=None):
    """Deactivate a member of staff: sign-in blocked, future bookings cancelled (seats freed, the
    waiting list promoted, the person and their managers told); records and skills are kept."""
    from ktc.bookings.models import Booking
    from ktc.bookings.operations import cancel_booking
    from ktc.notices.operations import tell_managers
    from ktc.sessions.models import Session

    now = now or utcnow()
    participant.active = False
    user = _login_of(participant)
    if user is not None and user.active:
        deactivate_user(user)
    bookings = db.session.execute(
        select(Booking).join(Session, Booking.session_id == Session.id)
        .where(Booking.participant_id == participant.id, Booking.status.in_(("confirmed", "waitlisted")),
               Session.start_at > now, Session.status == "scheduled")
        .order_by(Session.start_at)
    ).scalars().all()
    actor = SystemActor()
    cancelled = []
    for booking in bookings:
        try:
            cancel_booking(actor, booking, reason="deactivated", now=now)
        except Conflict:
            # cancel_booking reads the booking again under the session's lock: someone (the
            # person themselves, a manager) cancelled it meanwhile, so there is nothing to free.
            if booking.status in ("confirmed", "waitlisted"):
                raise
            continue
        tell_managers("deactivated", f"b{booking.id}:deactivated", booking.session, [booking])
        cancelled.append(booking.id)
    audit.record(None, "scim_user_deactivated", participant, cancelled=cancelled)


def reactivate(participant):
    participant.active = True
    user = _login_of(participant)
    if user is not None:
        user.active = True
