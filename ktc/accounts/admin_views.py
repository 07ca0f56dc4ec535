"""The admin's user management: list, create, edit, deactivate, set a password."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.accounts import bp
from ktc.accounts import operations as ops
from ktc.accounts.admin_forms import ROLE_LABELS, NewUserForm, SetPasswordForm, UserFilterForm, UserForm
from ktc.accounts.models import User
from ktc.csvutil import csv_response
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.organisations.forms import options
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.web import form_page, get_or_404, require, show_domain_error


@bp.route("/users")
@login_required
def users():
    require(policy.can_manage_users(current_user))
    form = UserFilterForm(request.args)
    active = {"1": True, "0": False}.get(form.status.data)
    items = ops.list_users(role=form.role.data or None, active=active)
    if request.args.get("format") == "csv":
        return csv_response(
            "anvandare.csv",
            [_("Name"), _("E-mail"), _("Role"), _("Units managed"), _("Staff record"), _("Active"), _("Last login")],
            [[u.name, u.email, str(ROLE_LABELS.get(u.role, u.role)), ", ".join(x.name for x in u.units),
              u.participant.name if u.participant else "", _("yes") if u.active else _("no"),
              u.last_login_at.isoformat() if u.last_login_at else ""] for u in items],
        )
    return render_template("accounts/users.html", users=items, form=form, roles=ROLE_LABELS)


def _fill_choices(form, user):
    units = db.session.execute(
        select(Unit).join(Unit.organisation).options(selectinload(Unit.organisation))
        .order_by(Organisation.name, Unit.name)
    ).scalars().all()
    form.unit_ids.choices = options([(u.id, f"{u.organisation.name} – {u.name}") for u in units])
    if request.method == "GET" and user is not None:
        form.participant_id.data = user.participant_id or 0
    # Only the chosen staff record is sent with the page (the picker searches the county on the
    # server; without JavaScript the current choice stays): 20,000 options would make it megabytes.
    wanted = form.participant_id.data
    chosen = db.session.get(Participant, wanted) if wanted and 0 < wanted < 2**31 else None
    if chosen is not None and chosen.anonymised_at is not None:
        chosen = None
    form.participant_id.choices = options(
        [(0, _("– No staff record –"))]
        + ([(chosen.id, f"{chosen.name} ({chosen.email or '–'}), {chosen.unit.name}")] if chosen else [])
    )
    form.participant_id.render_kw = {"data-picker": "staff", "data-search-url": url_for("organisations.staff_search")}
    if request.method == "GET" and user is not None:
        form.unit_ids.data = [u.id for u in user.units]


def _user_form(form, user):
    _fill_choices(form, user)

    def save():
        nonlocal user
        role = form.role.data
        participant = db.session.get(Participant, form.participant_id.data) if form.participant_id.data else None
        if user is None:
            user = ops.create_user(
                form.email.data, role, name=form.name.data, password=form.password.data or None,
                unit_ids=form.unit_ids.data if role == "manager" else (),
                participant=participant if role == "participant" else None,
            )
        else:
            ops.update_user(current_user, user, form.email.data, form.name.data, role, form.unit_ids.data,
                            participant)
        return user

    extra = {"password_form": SetPasswordForm()} if user is not None else {}
    return form_page(form, save, "accounts.users", "accounts/user_form.html", user=user, **extra)


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def create_user():
    require(policy.can_manage_users(current_user))
    return _user_form(NewUserForm(), None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit_user(user_id):
    require(policy.can_manage_users(current_user))
    user = get_or_404(User, user_id)
    return _user_form(UserForm(obj=user), user)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@login_required
def set_user_password(user_id):
    require(policy.can_manage_users(current_user))
    user = get_or_404(User, user_id)
    password_form = SetPasswordForm()
    if password_form.validate_on_submit():
        try:
            ops.set_password(user, password_form.password.data)
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(password_form, exc)
        else:
            flash(_("The password for %(name)s has been set. Their other sessions have been logged out.",
                    name=user.name), "success")
            return redirect(url_for("accounts.edit_user", user_id=user.id))
    form = UserForm(obj=user, formdata=None)
    _fill_choices(form, user)
    return render_template("accounts/user_form.html", form=form, user=user, password_form=password_form), 422


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@login_required
def deactivate_user(user_id):
    require(policy.can_manage_users(current_user))
    user = get_or_404(User, user_id)
    ops.deactivate_user_as(current_user, user)
    flash(_("%(name)s has been deactivated and logged out.", name=user.name), "success")
    return redirect(url_for("accounts.users"))


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@login_required
def activate_user(user_id):
    require(policy.can_manage_users(current_user))
    user = get_or_404(User, user_id)
    ops.activate_user(user)
    flash(_("%(name)s can log in again.", name=user.name), "success")
    return redirect(url_for("accounts.users"))
