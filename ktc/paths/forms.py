"""Forms for learning paths, their steps and assignment."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField, TimeField,
)
from wtforms.validators import DataRequired, Length, Optional

from ktc.forms import PICKER, sensible_date
from ktc.organisations.forms import optional_id, options
from ktc.web import object_id

STEP_KIND_LABELS = {
    "skill": _l("Station skill at KTC"),
    "module": _l("External module (e-learning or film)"),
    "circle": _l("Study circle meetings"),
}


class PathForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    description = TextAreaField(_l("Description"))
    profession_id = SelectField(_l("Profession"), coerce=optional_id, validate_choice=False)
    unit_kind = StringField(_l("Kind of unit"), validators=[Length(max=100)])
    auto_assign = BooleanField(_l("Put new staff on this path automatically"))
    active = BooleanField(_l("In use"), default=True)


class StepForm(FlaskForm):
    kind = SelectField(_l("Kind of step"), choices=options(list(STEP_KIND_LABELS.items())),
                       validators=[DataRequired(_l("Choose what kind of step it is."))])
    title = StringField(_l("Title"), validators=[Length(max=200)])
    skill_id = SelectField(_l("Skill"), coerce=optional_id, validate_choice=False, render_kw=PICKER)
    url = StringField(_l("Link"), validators=[Length(max=500)])
    material = TextAreaField(_l("Material"))
    due_days = IntegerField(
        _l("Due within (days from the start)"),
        validators=[DataRequired(_l("Give the due time in days, at least 1."))],
        invalid_value_message=_l("Give the due time as a whole number of days."),
    )
    prerequisite_ids = SelectMultipleField(_l("Requires first"), coerce=object_id, validate_choice=False)


class AssignForm(FlaskForm):
    path_id = SelectField(_l("Learning path"), coerce=optional_id, validate_choice=False,
                          validators=[DataRequired(_l("Choose a learning path."))])
    start_date = DateField(_l("Start date"), validators=[DataRequired(_l("Enter the start date.")), sensible_date])
    participant_ids = SelectMultipleField(_l("Staff"), coerce=object_id, validate_choice=False)


class CompleteForm(FlaskForm):
    completed_on = DateField(_l("Done on"), validators=[Optional(), sensible_date])


class CircleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    path_id = SelectField(_l("Learning path"), coerce=optional_id, validate_choice=False)
    facilitator_id = SelectField(_l("Facilitator"), coerce=optional_id, validate_choice=False)
    participant_ids = SelectMultipleField(_l("Circle members"), coerce=object_id, validate_choice=False)
    add_emails = TextAreaField(_l("Add members by e-mail"))


class MeetingForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date.")), sensible_date])
    start = TimeField(_l("Starts"), validators=[DataRequired(_l("Enter the start time."))])
    end = TimeField(_l("Ends"), validators=[DataRequired(_l("Enter the end time."))])
    location = StringField(_l("Place"), validators=[DataRequired(_l("Enter where the circle meets.")),
                                                    Length(max=300)])
    topic = StringField(_l("Topic"), validators=[Length(max=200)])
    step_ids = SelectMultipleField(_l("Modules worked through"), coerce=object_id, validate_choice=False)


class PathFileForm(FlaskForm):
    file = FileField(_l("Learning path file (JSON)"), validators=[
        FileRequired(_l("Choose a file.")), FileAllowed(["json"], _l("Choose a JSON file exported from KTC."))])
