"""Forms for identity providers."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from ktc.forms import PICKER
from ktc.organisations.forms import options

CLAIM_CHOICES = options([
    ("email", _l("E-mail address")),
    ("sub", _l("The provider's subject identifier (sub)")),
    ("hsa_id", _l("HSA-id")),
])


class ProviderForm(FlaskForm):
    name = StringField(_l("Name on the login page"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    issuer = StringField(_l("Issuer URL"), validators=[DataRequired(_l("Enter the issuer URL.")), Length(max=500)])
    client_id = StringField(_l("Client id"), validators=[DataRequired(_l("Enter the client id.")), Length(max=200)])
    secret_env = StringField(_l("Environment variable with the client secret"),
                             validators=[DataRequired(_l("Enter the variable's name.")), Length(max=100)])
    claim = SelectField(_l("Claim that identifies the person"), choices=CLAIM_CHOICES)
    hsa_claim = StringField(_l("Name of the HSA-id claim"), validators=[Length(max=200)])
    extra_scopes = StringField(_l("Extra scopes"), validators=[Length(max=300)])
    organisation_ids = SelectMultipleField(_l("Organisations"), coerce=int, render_kw=PICKER,
                                           validators=[DataRequired(_l("Choose at least one organisation."))])
    active = BooleanField(_l("In use"), default=True)


class ToggleForm(FlaskForm):
    """A button's CSRF token."""
