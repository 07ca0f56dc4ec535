"""Forms for organisations, units, staff and the staff import."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms.fields.choices import SelectChoice
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ktc.forms import PICKER
from ktc.web import object_id


def options(pairs):
    """Select choices from (value, label) pairs, in the form WTForms 3.3 expects."""
    return [SelectChoice(value, label) for value, label in pairs]


SIDE_CHOICES = options([("municipal", _l("Municipality")), ("regional", _l("Region"))])


def optional_id(value):
    """Coerce a select value to an id, with 0, empty or a number past the id column's range meaning "none"."""
    try:
        return object_id(value)
    except (TypeError, ValueError):
        return None


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    side = RadioField(_l("Side"), choices=SIDE_CHOICES, validators=[DataRequired(_l("Choose municipality or region."))])
    org_number = StringField(
        _l("Organisation number"),
        validators=[Optional(), Regexp(r"^\d{6}-?\d{4}$", message=_l("Write the organisation number as NNNNNN-NNNN."))],
    )


class UnitForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    manager_ids = SelectMultipleField(_l("Unit managers"), coerce=int, validate_choice=True, render_kw=PICKER)


class ParticipantForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter an e-mail address.")), Email(_l("Enter a valid e-mail address.")),
                    Length(max=254)],
    )
    profession_id = SelectField(_l("Profession"), coerce=int)
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired(_l("Choose a unit."))])
    active = BooleanField(_l("Active"), default=True)


class StaffFilterForm(Form):
    """The staff list's filters (GET, so no CSRF token)."""

    q = SearchField(_l("Name or e-mail"))
    organisation = SelectField(_l("Organisation"), coerce=optional_id)
    unit = SelectField(_l("Unit"), coerce=optional_id)
    profession = SelectField(_l("Profession"), coerce=optional_id)
    active = SelectField(_l("Status"), choices=options([("", _l("All")), ("1", _l("Active")), ("0", _l("Inactive"))]))


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a file.")), FileAllowed(["csv", "txt"], _l("Choose a CSV file."))],
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the confirmed file is the one stored on the server."""
