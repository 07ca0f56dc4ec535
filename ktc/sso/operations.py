"""Single sign-on: the ID token's checks, and who an identity provider's person is in KTC.

The OpenID Connect protocol itself (discovery, PKCE, the token request) is Authlib's; this module
decides what KTC accepts. Roles are KTC's own: a provider can only let in someone KTC already
knows (an account, or a person on an organisation's staff list, who becomes a participant).
"""
import os
import re

from authlib.integrations.flask_client import OAuth
from authlib.oidc.core import CodeIDToken
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from requests import RequestException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ktc import audit
from ktc.accounts.models import User
from ktc.accounts.operations import create_user, normalise_email, user_by_email
from ktc.database import savepoint, utcnow
from ktc.errors import Conflict, PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.sso.models import CLAIMS, DEFAULT_HSA_CLAIM, ExternalIdentity, IdentityProvider

SCOPES = "openid email profile"
# Asymmetric signatures only. Authlib by default allows what the provider's discovery document
# lists (`id_token_signing_alg_values_supported`), which may include "none" or HS256 (an HMAC
# keyed with the client secret); KTC takes neither.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60
# The secret's variable must be one of KTC's own OIDC variables, so that an admin page cannot send
# another secret (SECRET_KEY, the database URL) to a provider of its choosing.
SECRET_ENV = re.compile(r"^KTC_OIDC_[A-Z0-9_]{1,80}$")


class SignInRefused(PermissionDenied):
    code = "sign_in_refused"
    message = _l("Single sign-on failed. Try again, or ask KTC for help.")


class NotOnStaffList(SignInRefused):
    code = "not_on_staff_list"
    message = _l("You are not on a staff list in KTC yet. Ask your manager to add you, then sign in again.")


class OtherOrganisation(SignInRefused):
    code = "other_organisation"
    message = _l("Your KTC account belongs to another organisation than this sign-in service. "
                 "Choose your own organisation's sign-in.")


class AccountInactive(SignInRefused):
    code = "account_inactive"
    message = _l("Your KTC account has been deactivated. Ask your manager.")


class IdTokenRejected(SignInRefused):
    code = "id_token_rejected"


class LocalPasswordsOff(PermissionDenied):
    code = "local_passwords_off"
    message = _l("Your organisation signs in through its own sign-in service: choose it below.")


def validate_id_token(id_token, *, jwks, issuer, client_id, nonce, access_token=None, now=None):
    """The ID token's claims after checking signature, issuer, audience, expiry, not-before and nonce.

    Raises IdTokenRejected with the failed check as `reason`.
    """
    if not nonce:
        # Without an expected nonce Authlib skips the nonce check: never ask it to.
        raise IdTokenRejected(detail="no nonce expected")
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=list(ALGORITHMS))
    except (JoseError, ValueError) as exc:
        raise IdTokenRejected(detail=f"signature: {type(exc).__name__}") from exc
    options = {
        "iss": {"essential": True, "value": issuer},
        # Authlib's client passes no audience option (it only checks `azp`): KTC checks it here.
        "aud": {"essential": True, "value": client_id},
        "nonce": {"essential": True},
    }
    claims = CodeIDToken(token.claims, token.header, options,
                         {"nonce": nonce, "client_id": client_id, "access_token": access_token})
    try:
        claims.validate(now=now, leeway=LEEWAY_SECONDS)
    except JoseError as exc:
        raise IdTokenRejected(detail=f"claims: {exc.error} {getattr(exc, 'claim', '')}".strip()) from exc
    return dict(claims)


# RFC 6749, 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), no quote, no backslash, no space.
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]{1,100}$")
MAX_EXTRA_SCOPES = 10


def clean_scopes(text):
    """The extra scopes as one space-separated string: checked, the always-asked ones and repeats dropped."""
    scopes = []
    for scope in (text or "").split():
        if not SCOPE_TOKEN.match(scope):
            raise ValidationError(_l("A scope is one word without quotes, backslashes or other special characters: "
                                     "%(scope)s", scope=scope[:100]), field="extra_scopes")
        if scope not in SCOPES.split() and scope not in scopes:
            scopes.append(scope)
    if len(scopes) > MAX_EXTRA_SCOPES:
        raise ValidationError(_l("Ask for at most %(n)s extra scopes.", n=MAX_EXTRA_SCOPES), field="extra_scopes")
    return " ".join(scopes)


def requested_scopes(provider):
    """What the authorization request asks the provider for: KTC's scopes and the provider's extra ones."""
    return " ".join([*SCOPES.split(), *(provider.extra_scopes or "").split()])


def client_secret(provider):
    name = provider.secret_env or ""
    return os.environ.get(name, "") if SECRET_ENV.match(name) else ""


def oauth_client(provider):
    """An Authlib client for the provider (discovery, PKCE S256, nonce), made per request so that an
    edited provider takes effect at once."""
    oauth = OAuth(current_app._get_current_object())
    return oauth.register(
        name=f"idp{provider.id}",
        client_id=provider.client_id,
        client_secret=client_secret(provider),
        server_metadata_url=provider.metadata_url,
        client_kwargs={"scope": requested_scopes(provider), "code_challenge_method": "S256"},
    )


def return_url(endpoint):
    """An address the provider sends the browser back to: under KTC_BASE_URL, as registered there."""
    base = current_app.config.get("KTC_BASE_URL")
    return base.rstrip("/") + url_for(endpoint) if base else url_for(endpoint, _external=True)


def end_session_url(provider_id, id_token):
    """Where to send the browser to end the provider's session too (RP-initiated logout), or None."""
    provider = db.session.get(IdentityProvider, provider_id) if provider_id else None
    if provider is None:
        return None
    try:
        client = oauth_client(provider)
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.create_logout_url(
            post_logout_redirect_uri=return_url("accounts.login"),
            id_token_hint=id_token, client_id=provider.client_id,
        )["url"]
    except (RequestException, ValueError, RuntimeError) as exc:
        current_app.logger.warning("identity provider %s logout failed: %s", provider.id, exc)
        return None


def active_providers():
    """The providers in use, in name order, with the organisations each serves (the login page's list)."""
    return db.session.execute(
        select(IdentityProvider).where(IdentityProvider.active.is_(True)).order_by(IdentityProvider.name)
        .options(selectinload(IdentityProvider.organisations))
    ).scalars().all()


def identifier(provider, claims):
    """The value of the provider's configured claim."""
    if provider.claim == "email":
        value = normalise_email(claims.get("email"))
    elif provider.claim == "hsa_id":
        value = str(claims.get(provider.hsa_claim) or "").strip()
    else:
        value = str(claims.get("sub") or "").strip()
    return value[:255]


def organisation_ids_of(user):
    """The organisations a user belongs to in KTC: their staff record's, or the units they manage."""
    ids = {unit.organisation_id for unit in user.units}
    if user.participant is not None:
        ids.add(user.participant.unit.organisation_id)
    return ids


def sign_in(provider, claims):
    """The KTC user for the provider's validated claims, linking or creating the account on first
    sign-in. Refusals raise a SignInRefused with what the audit entry should say; the caller
    rolls back and audits it.

    Two first sign-ins of one person at once (two tabs, a double click on the provider's button)
    both find no link and both try to write one: the unique link (provider, subject), and the
    unique e-mail address and staff record of an account, let only one through (create_user turns
    the latter into a Conflict). The other one's writes are undone to a savepoint and it looks
    again, finding what the first one wrote.
    KTC_SSO_LINK_GUARD=False only for the race test's control run.
    """
    try:
        with savepoint():
            return _sign_in(provider, claims)
    except (IntegrityError, Conflict):
        if not current_app.config.get("KTC_SSO_LINK_GUARD", True):
            raise
        return _sign_in(provider, claims)


def _sign_in(provider, claims):
    value = identifier(provider, claims)
    if not value:
        raise SignInRefused(detail=f"missing claim {provider.claim}")
    org_ids = {org.id for org in provider.organisations}
    identity = db.session.execute(
        select(ExternalIdentity).where(ExternalIdentity.provider_id == provider.id, ExternalIdentity.subject == value)
    ).scalar_one_or_none()
    user = identity.user if identity is not None else None
    # The e-mail address links accounts only when it is the configured claim or the provider says
    # it has verified it.
    email = None
    if provider.claim == "email" or claims.get("email_verified") is True:
        email = normalise_email(claims.get("email")) or None
    if user is None and email:
        user = user_by_email(email)
    if user is None and email:
        user = _account_for_staff_record(provider, email, org_ids, claims)
    if user is None:
        raise NotOnStaffList(subject=value)
    if not user.active or (user.participant is not None and not user.participant.active):
        raise AccountInactive(user_id=user.id)
    if not organisation_ids_of(user) & org_ids:
        # Also KTC staff (admins, instructors) with no organisation: they keep their passwords.
        raise OtherOrganisation(user_id=user.id, subject=value)
    now = utcnow()
    if identity is None:
        identity = ExternalIdentity(provider_id=provider.id, subject=value, user=user)
        db.session.add(identity)
    identity.last_login_at = now
    user.last_login_at = now
    audit.record(user, "sso_login", provider, user_id=user.id)
    db.session.flush()
    return user


def _account_for_staff_record(provider, email, org_ids, claims):
    """A participant account for a person on one of the provider's organisations' staff lists."""
    participant = db.session.execute(
        select(Participant).join(Unit).where(
            Participant.email == email, Unit.organisation_id.in_(org_ids or {0})
        )
    ).scalar_one_or_none()
    if participant is None:
        return None
    existing = db.session.execute(select(User).where(User.participant_id == participant.id)).scalar_one_or_none()
    if existing is not None:
        return existing
    user = create_user(email, "participant", name=participant.name, participant=participant)
    audit.record(user, "sso_account_created", provider, user_id=user.id, participant_id=participant.id)
    return user


def local_password_allowed(user):
    """False when every organisation the user belongs to has switched local passwords off."""
    ids = organisation_ids_of(user)
    if not ids:
        return True
    flags = db.session.execute(select(Organisation.local_passwords).where(Organisation.id.in_(ids))).scalars().all()
    return any(flags)


def save_provider(provider, name, issuer, client_id, secret_env, claim, hsa_claim, organisation_ids, active,
                  extra_scopes=None):
    """Create (provider None) or update an identity provider (extra_scopes None: keep them as they are)."""
    scopes = None if extra_scopes is None else clean_scopes(extra_scopes)
    if claim not in CLAIMS:
        raise ValidationError(_l("Choose a claim from the list."), field="claim")
    if not SECRET_ENV.match(secret_env or ""):
        raise ValidationError(
            _l("The variable's name must start with KTC_OIDC_ and contain only A–Z, 0–9 and _."), field="secret_env"
        )
    if not (issuer.startswith("https://") or issuer.startswith("http://127.0.0.1") or issuer.startswith("http://localhost")):
        raise ValidationError(_l("The issuer must be an https:// address."), field="issuer")
    orgs = db.session.execute(select(Organisation).where(Organisation.id.in_(set(organisation_ids)))).scalars().all()
    if len(orgs) != len(set(organisation_ids)) or not orgs:
        raise ValidationError(_l("Choose at least one organisation."), field="organisation_ids")
    if provider is None:
        provider = IdentityProvider()
        db.session.add(provider)
    provider.name, provider.issuer, provider.client_id = name.strip(), issuer.strip(), client_id.strip()
    provider.secret_env, provider.claim, provider.active = secret_env, claim, active
    provider.hsa_claim = (hsa_claim or "").strip() or provider.hsa_claim or DEFAULT_HSA_CLAIM
    provider.organisations = orgs
    if scopes is not None:
        provider.extra_scopes = scopes
    db.session.flush()
    return provider


def set_local_passwords(actor, organisation, allowed):
    organisation.local_passwords = allowed
    audit.record(actor, "local_passwords_on" if allowed else "local_passwords_off", organisation)
