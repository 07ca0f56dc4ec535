"""Forms for the skills catalogue and professions."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ktc.forms import PICKER


class SkillForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter a code.")), Length(max=40),
                    Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters A–Z, digits, dots, dashes or underscores."))],
    )
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    category = StringField(_l("Category"), validators=[Length(max=100)])
    description = TextAreaField(_l("Description"))
    refresh_months = IntegerField(
        _l("Refresh interval (months)"),
        validators=[Optional(), NumberRange(1, 240, _l("Give the refresh interval as 1 to 240 months, or leave it "
                                                       "empty."))],
        invalid_value_message=_l("Enter the refresh interval as a whole number of months."),
    )
    active = BooleanField(_l("Active"), default=True)


class ProfessionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    skill_ids = SelectMultipleField(_l("Required skills"), coerce=int, render_kw=PICKER)
