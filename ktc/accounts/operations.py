"""Accounts: password hashing, login with a throttle shared by all workers, API tokens."""
import hashlib
import ipaddress
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import String, bindparam, case, cast, delete, func, select
from sqlalchemy.orm import make_transient_to_detached

from ktc import audit, policy
from ktc.accounts.models import ROLES, ApiToken, LoginFailure, User, unit_managers
from ktc.database import first, utcnow
from ktc.errors import Conflict, DomainError, ValidationError
from ktc.extensions import db
from flask_babel import lazy_gettext as _l


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429
    message = _l("Too many failed attempts. Please wait %(minutes)s minutes and try again.")


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    message = _l("Wrong e-mail address or password.")


def _hasher():
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["KTC_ARGON2_TIME_COST"],
        memory_cost=cfg["KTC_ARGON2_MEMORY_COST"],
        parallelism=cfg["KTC_ARGON2_PARALLELISM"],
    )


def hash_password(password):
    """argon2id with the configured cost."""
    return _hasher().hash(password)


def verify_password(user, password):
    if not user or not user.password_hash:
        # Spend the same time as a real check so that unknown e-mails are not revealed by timing.
        _hasher().hash(password or "x")
        return False
    try:
        _hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def normalise_email(email):
    return (email or "").strip().lower()


def user_by_email(email):
    return db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def create_user(email, role, name=None, password=None, unit_ids=(), participant=None, locale=None):
    """Add a user; raises Conflict if the e-mail is taken."""
    email = normalise_email(email)
    if role not in ROLES:
        raise ValidationError(_l("Unknown role: %(role)s"), field="role", role=role)
    if "@" not in email:
        raise ValidationError(_l("Enter a valid e-mail address."), field="email")
    if user_by_email(email):
        raise Conflict(_l("A user with that e-mail address already exists."), field="email")
    if password is not None and len(password) < 10:
        raise ValidationError(_l("The password must be at least 10 characters long."), field="password")
    _check_participant_free(participant)
    units = _units_by_id(unit_ids)  # before the user is in the session, so loading them cannot autoflush it
    user = User(email=email, role=role, name=(name or "").strip() or email.split("@")[0], locale=locale)
    if password:
        user.password_hash = hash_password(password)
    if participant is not None:
        user.participant = participant
    user.units = units
    policy.forget_managed_units()
    db.session.add(user)
    _flush_user()
    return user


def _flush_user():
    """Flush; a concurrent insert of the same e-mail or participant link becomes a Conflict."""
    from sqlalchemy.exc import IntegrityError

    try:
        db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("A user with that e-mail address already exists."), field="email") from exc


def _check_participant_free(participant, user=None):
    if participant is None:
        return
    stmt = select(User.id).where(User.participant_id == participant.id)
    if user is not None:
        stmt = stmt.where(User.id != user.id)
    if db.session.execute(stmt).first() is not None:
        raise Conflict(_l("That staff record already has a login."), field="participant_id")


def _units_by_id(unit_ids):
    from ktc.organisations.models import Unit

    ids = set(unit_ids or ())
    units = db.session.execute(select(Unit).where(Unit.id.in_(ids))).scalars().all() if ids else []
    if len(units) != len(ids):
        raise ValidationError(_l("Choose units from the list."), field="unit_ids")
    return units


def update_user(actor, user, email, name, role, unit_ids=(), participant=None):
    """Edit a user. Units apply to managers and the staff record to participants only."""
    email = normalise_email(email)
    if role not in ROLES:
        raise ValidationError(_l("Unknown role: %(role)s"), field="role", role=role)
    if actor is not None and actor.id == user.id and role != user.role:
        raise ValidationError(_l("You cannot change your own role."), field="role")
    if "@" not in email:
        raise ValidationError(_l("Enter a valid e-mail address."), field="email")
    other = user_by_email(email)
    if other is not None and other.id != user.id:
        raise Conflict(_l("A user with that e-mail address already exists."), field="email")
    participant = participant if role == "participant" else None
    _check_participant_free(participant, user)
    user.email, user.name, user.role = email, (name or "").strip() or user.name, role
    user.units = _units_by_id(unit_ids) if role == "manager" else []
    policy.forget_managed_units()
    user.participant = participant
    _flush_user()
    return user


def deactivate_user_as(actor, user):
    """An admin deactivates another user (never themselves: someone must be left to undo it)."""
    if actor.id == user.id:
        raise ValidationError(_l("You cannot deactivate your own account."))
    deactivate_user(user)


def activate_user(user):
    user.active = True


def list_users(role=None, active=None):
    from sqlalchemy.orm import selectinload

    stmt = select(User).options(selectinload(User.units), selectinload(User.participant)).order_by(User.name, User.id)
    if role:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return db.session.execute(stmt).scalars().all()


def client_address(remote_addr):
    """The address the throttle counts: IPv6 clients by their /64, which one subscriber holds whole."""
    try:
        ip = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return (remote_addr or "unknown")[:64]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _throttled(email, address, since):
    """Which limit this attempt is over ("address", "account") or None; both counted in one query.

    Failures are counted per address, and per account only from that address: a flood of wrong
    passwords from one place neither locks the owner out elsewhere nor tries many accounts.
    """
    cfg = current_app.config
    per_address, per_account = db.session.execute(
        select(func.count(LoginFailure.id), func.count(case((LoginFailure.email == email, LoginFailure.id))))
        .where(LoginFailure.remote_addr == address, LoginFailure.at >= since)
    ).one()
    if per_address >= cfg["KTC_LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        return "address"
    if per_account >= cfg["KTC_LOGIN_MAX_FAILURES"]:
        return "account"
    return None


def _audit_throttled(scope, email, address, since):
    """One audit entry per address (and account) and window: a flood must not fill the log."""
    details = {"scope": scope, "address": address}
    if scope == "account":
        details["email"] = email
    audit.record_once(since, "login.throttled", "login", **details)


def authenticate(email, password, remote_addr=None):
    """Return the user for these credentials, or raise. Failures are counted in the DB (all workers share them)."""
    cfg = current_app.config
    email = normalise_email(email)
    address = client_address(remote_addr)
    since = utcnow() - timedelta(minutes=cfg["KTC_LOGIN_WINDOW_MINUTES"])
    scope = _throttled(email, address, since)
    if scope is not None:
        # Refused before the password is checked: guesses beyond the limit learn nothing.
        _audit_throttled(scope, email, address, since)
        raise TooManyAttempts(minutes=cfg["KTC_LOGIN_WINDOW_MINUTES"])
    user = user_by_email(email)
    if not verify_password(user, password) or not user.active:
        db.session.add(LoginFailure(email=email, remote_addr=address))
        raise InvalidCredentials()
    # Only this address's failures are forgiven: logging in elsewhere must not reset the count
    # of someone guessing this account's password.
    db.session.execute(
        delete(LoginFailure).where(LoginFailure.email == email, LoginFailure.remote_addr == address)
    )
    user.last_login_at = utcnow()
    return user


def set_password(user, password):
    if len(password or "") < 10:
        raise ValidationError(_l("The password must be at least 10 characters long."), field="password")
    user.password_hash = hash_password(password)
    user.rotate_login_nonce()


def deactivate_user(user):
    """Block the user from logging in and end every session they have (the cookie nonce rotates)."""
    user.active = False
    user.rotate_login_nonce()


def load_user_from_cookie(user_id):
    """Flask-Login's loader: the id carries a nonce that logout and deactivation rotate.

    The units the user manages come in the same query (policy.note_managed_units): nearly every
    page of a manager asks them.
    """
    try:
        raw_id, nonce = user_id.split(":", 1)
        user_pk = int(raw_id)
    except (ValueError, AttributeError):
        return None
    if not -2**31 <= user_pk < 2**31:
        return None
    row = first(_COOKIE_USER, {"user_id": user_pk})
    if row is None or not row.active or not secrets.compare_digest(row.login_nonce, nonce):
        return None
    return _with_units(row)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user, name=""):
    """Create a personal API token; the plain token is returned once and only its hash is kept."""
    token = "ktc_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name, token_hash=hash_token(token)))
    db.session.flush()
    return token


def revoke_api_token(user, token_id):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        from ktc.errors import NotFound

        raise NotFound()
    token.revoked_at = utcnow()
    return token


def load_user_from_token(token):
    """The active user of a personal API token that is not revoked: token, user and the units they
    manage in one query."""
    row = first(_TOKEN_USER, {"token_hash": hash_token(token)})
    return None if row is None else _with_units(row)


def _with_units(row):
    *columns, units = row
    user = _signed_in(columns)
    return policy.note_managed_units(user, (int(u) for u in units.split(",")) if units else ())


def _signed_in(columns):
    """The user of a request from the columns a Core query read: a User of the request's session as
    the ORM's own query would have loaded it (its units or person load when asked). Every request
    loads its user; through the ORM's query that took about 0.15 ms of CPU more per request (measured
    in one process, as bench/booking_profile.py does)."""
    values = dict(zip(_USER_KEYS, columns))
    known = db.session.identity_map.get(User.__mapper__.identity_key_from_primary_key((values["id"],)))
    if known is not None:  # this request's session holds the user already: that object, as the ORM does
        return known
    # As the ORM's loading builds an object: no constructor, no attribute events, the values as loaded.
    user = User.__mapper__.class_manager.new_instance()
    user.__dict__.update(values)
    make_transient_to_detached(user)
    db.session.add(user)
    return user


# The users table's columns, in order, and each one's attribute on User.
_USER_COLUMNS = tuple(User.__table__.c)
_USER_KEYS = tuple(User.__mapper__.get_property_by_column(c).key for c in _USER_COLUMNS)

# The units a user manages, as one text ("3,17,42") in a column of the query that loads the user:
# string_agg on PostgreSQL, group_concat on SQLite.
_MANAGED = (select(func.aggregate_strings(cast(unit_managers.c.unit_id, String), ","))
            .where(unit_managers.c.user_id == User.id).scalar_subquery())

# Built once: every request asks one of them.
_COOKIE_USER = select(*_USER_COLUMNS, _MANAGED).where(User.id == bindparam("user_id"))
_TOKEN_USER = (
    select(*_USER_COLUMNS, _MANAGED).join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active.is_(True))
)
