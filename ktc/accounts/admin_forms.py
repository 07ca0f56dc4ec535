"""Forms for the admin's user management."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, Form, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ktc.forms import PICKER

from ktc.organisations.forms import options

ROLE_LABELS = {
    "admin": _l("Administrator (KTC staff)"),
    "instructor": _l("Instructor"),
    "manager": _l("Unit manager"),
    "participant": _l("Participant (member of staff)"),
    "network": _l("Learning network"),
}


class UserForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter an e-mail address.")), Email(_l("Enter a valid e-mail address.")),
                    Length(max=254)],
    )
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    role = SelectField(_l("Role"), choices=options(ROLE_LABELS.items()),
                       validators=[DataRequired(_l("Choose a role."))])
    unit_ids = SelectMultipleField(_l("Units managed"), coerce=int, render_kw=PICKER)
    participant_id = SelectField(_l("Staff record"), coerce=int)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.role.data == "manager" and not self.unit_ids.data:
            self.unit_ids.errors = list(self.unit_ids.errors) + [_l("Choose the units this manager manages.")]
            ok = False
        return ok


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Initial password"),
        validators=[Optional(), Length(min=10, message=_l("The password must be at least 10 characters long."))],
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a password.")),
                    Length(min=10, message=_l("The password must be at least 10 characters long."))],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(_l("Repeat the password.")), EqualTo("password", _l("The passwords differ."))],
    )


class UserFilterForm(Form):
    """The user list's filters (GET, so no CSRF token)."""

    role = SelectField(_l("Role"), choices=options([("", _l("All roles"))] + list(ROLE_LABELS.items())))
    status = SelectField(_l("Status"), choices=options([("", _l("All")), ("1", _l("Active")),
                                                         ("0", _l("Deactivated"))]))
