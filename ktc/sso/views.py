"""Sign-in through an identity provider, its callback, and the admin pages for providers."""
import hmac
from datetime import timedelta

from authlib.integrations.base_client import OAuthError
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from requests import RequestException
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import audit, policy
from ktc.calendar.operations import create_feeds
from ktc.database import always_commit, utcnow
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.organisations.models import Organisation
from ktc.security import is_safe_next
from ktc.sso import bp
from ktc.sso import operations as ops
from ktc.sso.forms import ProviderForm, ToggleForm
from ktc.sso.models import IdentityProvider
from ktc.web import get_or_404, require, show_domain_error

FLOW = "sso_flow"


def _callback_url():
    return ops.return_url("sso.callback")


bp.add_app_template_global(ops.active_providers, "sso_login_choices")


@bp.route("/login/<int:provider_id>")
def login(provider_id):
    """Start the authorization code flow (PKCE S256, state and nonce kept in this session only)."""
    provider = get_or_404(IdentityProvider, provider_id)
    if not provider.active:
        abort(404)
    redirect_uri = _callback_url()
    try:
        flow = ops.oauth_client(provider).create_authorization_url(redirect_uri)
    except (RequestException, ValueError, KeyError) as exc:
        current_app.logger.warning("identity provider %s unreachable: %s", provider.id, exc)
        return render_template("sso/refused.html", message=_("The sign-in service cannot be reached. Try again later.")), 502
    target = request.args.get("next")
    session[FLOW] = {
        "provider_id": provider.id, "state": flow["state"], "nonce": flow["nonce"],
        "code_verifier": flow["code_verifier"], "redirect_uri": redirect_uri,
        # Where the person was going before the login page: a local path only, kept with the state
        # so that only this sign-in's answer can use it.
        "next": target if is_safe_next(target) else None,
    }
    return redirect(flow["url"])


def _refused(provider, exc, reason, status=403, **details):
    """The refusal page. Whatever the attempt wrote is rolled back; the audit entry is committed
    with the refusal."""
    db.session.rollback()
    if provider is None:
        # No sign-in under way in this browser: anyone can send these at will, so one entry per
        # quarter of an hour (as for throttled logins) keeps a flood out of the log.
        audit.record_once(utcnow() - timedelta(minutes=15), "sso_refused", "identityprovider", reason=reason, **details)
    else:
        audit.record(None, "sso_refused", provider, object_type="identityprovider", reason=reason, **details)
    always_commit()
    return render_template("sso/refused.html", message=str(exc)), status


@bp.route("/callback")
def callback():
    """The provider's answer: exchange the code, check the ID token, find the person, log them in."""
    flow = session.pop(FLOW, None)  # one use: a replayed answer finds no flow
    provider = db.session.get(IdentityProvider, flow["provider_id"]) if flow else None
    state = request.args.get("state") or ""
    if provider is None or not provider.active or not hmac.compare_digest(state, flow.get("state", "")):
        return _refused(provider, ops.SignInRefused(), "state", 400)
    returned_issuer = request.args.get("iss")
    if returned_issuer is not None and returned_issuer != provider.issuer:
        # RFC 9207: the answer names its issuer; another one means a mix-up of providers.
        return _refused(provider, ops.SignInRefused(), "iss", detail=returned_issuer[:200])
    if request.args.get("error"):
        return _refused(provider, ops.SignInRefused(), "provider_error", detail=request.args["error"][:200])
    try:
        client = ops.oauth_client(provider)
        token = client.fetch_access_token(
            code=request.args.get("code"), state=state, redirect_uri=flow["redirect_uri"],
            code_verifier=flow["code_verifier"],
        )
        if "id_token" not in token:
            raise ops.IdTokenRejected(detail="no id_token")
        claims = ops.validate_id_token(
            token["id_token"], jwks=client.fetch_jwk_set(), issuer=provider.issuer,
            client_id=provider.client_id, nonce=flow["nonce"], access_token=token.get("access_token"),
        )
        user = ops.sign_in(provider, claims)
    except (OAuthError, RequestException) as exc:
        return _refused(provider, ops.SignInRefused(), "token_request", detail=str(exc)[:200])
    except ops.SignInRefused as exc:
        return _refused(provider, exc, exc.code, **exc.params)
    lang = session.get("lang")
    session.clear()  # a fresh session at login: nothing carried over from before
    if lang:
        session["lang"] = lang
    session["sso_provider_id"] = provider.id
    session["sso_id_token"] = token["id_token"]
    login_user(user)
    create_feeds(user)
    always_commit()  # a GET that writes: the provider sends the browser back here with a GET
    target = flow.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.index"))


# --- admin -----------------------------------------------------------------------------------

@bp.route("/providers")
@login_required
def providers(new_token=None, token_organisation=None):
    require(policy.can_manage_organisations(current_user))
    rows = db.session.execute(
        select(IdentityProvider).order_by(IdentityProvider.name).options(selectinload(IdentityProvider.organisations))
    ).scalars().all()
    organisations = db.session.execute(select(Organisation).order_by(Organisation.name)).scalars().all()
    return render_template("sso/providers.html", providers=rows, organisations=organisations, toggle=ToggleForm(),
                           new_token=new_token, token_organisation=token_organisation,
                           scim_url=ops.return_url("scim.users").rsplit("/", 1)[0])


@bp.route("/organisations/<int:org_id>/scim-token", methods=["POST"])
@login_required
def scim_token(org_id):
    """A new SCIM provisioning token for the organisation, shown once (only its hash is kept)."""
    from ktc.scim.operations import issue_token

    require(policy.can_manage_organisations(current_user))
    organisation = get_or_404(Organisation, org_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    token = issue_token(organisation)
    return providers(new_token=token, token_organisation=organisation)


def _provider_form(provider):
    form = ProviderForm(obj=provider)
    orgs = db.session.execute(select(Organisation).order_by(Organisation.name)).scalars().all()
    form.organisation_ids.choices = [(o.id, o.name) for o in orgs]
    if request.method == "GET" and provider is not None:
        form.organisation_ids.data = [o.id for o in provider.organisations]
    if form.validate_on_submit():
        try:
            saved = ops.save_provider(
                provider, form.name.data, form.issuer.data, form.client_id.data, form.secret_env.data,
                form.claim.data, form.hsa_claim.data, form.organisation_ids.data, form.active.data,
                extra_scopes=form.extra_scopes.data,
            )
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash(_("%(name)s has been saved.", name=saved.name), "success")
            return redirect(url_for("sso.providers"))
    status = 422 if request.method == "POST" else 200
    return render_template("sso/provider_form.html", form=form, provider=provider,
                           callback_url=_callback_url()), status


@bp.route("/providers/new", methods=["GET", "POST"])
@login_required
def create_provider():
    require(policy.can_manage_organisations(current_user))
    return _provider_form(None)


@bp.route("/providers/<int:provider_id>/edit", methods=["GET", "POST"])
@login_required
def edit_provider(provider_id):
    require(policy.can_manage_organisations(current_user))
    return _provider_form(get_or_404(IdentityProvider, provider_id))


@bp.route("/organisations/<int:org_id>/local-passwords", methods=["POST"])
@login_required
def local_passwords(org_id):
    require(policy.can_manage_organisations(current_user))
    organisation = get_or_404(Organisation, org_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    ops.set_local_passwords(current_user, organisation, request.form.get("allowed") == "1")
    flash(_("%(name)s has been saved.", name=organisation.name), "success")
    return redirect(url_for("sso.providers"))
