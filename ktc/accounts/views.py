from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ktc.accounts import bp
from ktc.accounts.forms import LanguageForm, LoginForm, PasswordForm, TokenForm
from ktc.accounts.models import ApiToken
from ktc.accounts.operations import (
    InvalidCredentials,
    TooManyAttempts,
    authenticate,
    issue_api_token,
    revoke_api_token,
    set_password,
    verify_password,
)
from ktc import audit
from ktc.calendar.operations import create_feeds
from ktc.database import always_commit
from ktc.extensions import db
from ktc.security import is_safe_next
from ktc.sso.operations import LocalPasswordsOff, end_session_url, local_password_allowed


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, request.remote_addr)
        except TooManyAttempts as exc:
            always_commit()
            form.password.errors = [str(exc)]
            status = 429
        except InvalidCredentials as exc:
            # The failure is counted even though the login is refused.
            always_commit()
            form.password.errors = [str(exc)]
            status = 401
        else:
            if not local_password_allowed(user):
                audit.record(user, "sso_refused", object_type="user", object_id=user.id, reason="local_passwords_off")
                always_commit()
                form.password.errors = [str(LocalPasswordsOff())]
                return render_template("accounts/login.html", form=form), 403
            lang = session.get("lang")
            session.clear()  # a fresh session at login: nothing carried over from before
            if lang:
                session["lang"] = lang
            login_user(user)
            # The calendar links exist from the first visit on: made here, on the login POST, because
            # no GET writes (the calendar page's own "create" button stays for sessions from before).
            create_feeds(user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("main.index"))
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    current_user.rotate_login_nonce()  # every other cookie of this user stops working too
    provider_id, id_token = session.get("sso_provider_id"), session.get("sso_id_token")
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    # Signed in through an identity provider: end its session too, where it offers that. Not by a
    # redirect: the CSP's form-action 'self' (rightly) stops a form's POST from being redirected
    # to another site, so a page sends the browser on.
    provider_logout = end_session_url(provider_id, id_token)
    if provider_logout:
        return render_template("sso/logged_out.html", provider_logout=provider_logout)
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    password_form = PasswordForm(prefix="pw")
    token_form = TokenForm(prefix="tok")
    language_form = LanguageForm(prefix="lang", lang=current_user.locale or "sv")
    new_token = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "password" and password_form.validate_on_submit():
            if not verify_password(current_user, password_form.current.data):
                password_form.current.errors = [_("The current password is wrong.")]
            else:
                user = current_user._get_current_object()
                set_password(user, password_form.password.data)
                # The new nonce ends every other session; this one logs in again with it. (Passing
                # the current_user proxy itself here made it refer to itself: endless recursion.)
                login_user(user)
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("accounts.account"))
        elif action == "token" and token_form.validate_on_submit():
            new_token = issue_api_token(current_user, token_form.name.data or "")
            flash(_("Copy the token now: it will not be shown again."), "success")
        elif action == "language" and language_form.validate_on_submit():
            current_user.locale = language_form.lang.data
            return redirect(url_for("accounts.account"))
    tokens = db.session.execute(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).scalars().all()
    return render_template(
        "accounts/account.html",
        password_form=password_form,
        token_form=token_form,
        language_form=language_form,
        tokens=tokens,
        new_token=new_token,
    )


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    revoke_api_token(current_user, token_id)
    flash(_("The token has been revoked."), "success")
    return redirect(url_for("accounts.account"))
