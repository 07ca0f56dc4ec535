"""Forms for stating a need."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, MonthField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ktc.forms import PICKER
from ktc.planning.operations import MAX_PEOPLE


class NeedForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired(_l("Choose a unit."))])
    skill_id = SelectField(_l("Skill"), coerce=int, validators=[DataRequired(_l("Choose a skill."))],
                           render_kw=PICKER)
    month = MonthField(_l("Needed by (month)"), validators=[DataRequired(_l("Give the month as YYYY-MM."))])
    people = IntegerField(
        _l("Number of people"),
        validators=[Optional(), NumberRange(1, MAX_PEOPLE, _l("Give how many people need the training: 1 to "
                                                              "%(max)s."))],
        invalid_value_message=_l("Enter the number of people as a whole number."),
    )
    participant_ids = SelectMultipleField(_l("Named people"), coerce=int, render_kw=PICKER)
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class PlanForm(FlaskForm):
    centre_id = SelectField(_l("Centre"), coerce=int)
    weeks = IntegerField(
        _l("Weeks ahead"), default=8,
        validators=[DataRequired(_l("Give the number of weeks.")),
                    NumberRange(1, 52, _l("Plan 1 to 52 weeks (at most one year) ahead."))],
        invalid_value_message=_l("Enter the number of weeks as a whole number."),
    )


class InstructorForm(FlaskForm):
    skill_ids = SelectMultipleField(_l("Skills the instructor may lead"), coerce=int, render_kw=PICKER)
    max_per_day = IntegerField(
        _l("Most sessions per day"),
        validators=[Optional(), NumberRange(1, 10, _l("Give 1 to 10 sessions per day, or leave it empty."))],
        invalid_value_message=_l("Enter the number of sessions as a whole number."),
    )
    availability = TextAreaField(_l("Weekly availability"), validators=[Length(max=2000)])
    absences = TextAreaField(_l("Absences"), validators=[Length(max=5000)])
