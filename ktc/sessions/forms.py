from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ktc.forms import PICKER, sensible_date


class _SessionFields(FlaskForm):
    station_id = SelectField(_l("Station"), coerce=int, validators=[InputRequired()])
    capacity = IntegerField(
        _l("Seats"), validators=[Optional(), NumberRange(min=1, max=200)],
        description=_l("Leave empty for the station's default."),
    )
    min_per_side = IntegerField(
        _l("Seats held for each side"), default=0, validators=[InputRequired(), NumberRange(min=0, max=100)],
        description=_l("Held for the municipal and for the regional side until the release time."),
    )
    release_before_hours = IntegerField(
        _l("Release held seats (hours before start)"), default=72,
        validators=[InputRequired(), NumberRange(min=0, max=24 * 60)],
    )
    instructor_ids = SelectMultipleField(_l("Instructors"), coerce=int, validators=[Optional()], render_kw=PICKER)
    skill_ids = SelectMultipleField(
        _l("Skills covered"), coerce=int, validators=[Optional()], render_kw=PICKER,
        description=_l("Leave empty for all the station's skills."),
    )
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=200)])
    notes = TextAreaField(_l("Notes for participants"), validators=[Optional(), Length(max=4000)])


class SessionForm(_SessionFields):
    day = DateField(_l("Date"), validators=[DataRequired(), sensible_date])
    start_time = TimeField(_l("Start"), validators=[DataRequired()])
    end_time = TimeField(_l("End"), validators=[DataRequired()])
    # Shown with the warning when the start has passed: a session in the past is planned only on purpose.
    confirm_past = BooleanField(_l("Yes, plan it in the past"))


class SeriesForm(_SessionFields):
    first_date = DateField(_l("First date"), validators=[DataRequired(), sensible_date])
    start_time = TimeField(_l("Start"), validators=[DataRequired()])
    end_time = TimeField(_l("End"), validators=[DataRequired()])
    occurrences = IntegerField(_l("Number of sessions"), default=10, validators=[InputRequired(), NumberRange(min=1, max=104)])
    interval_weeks = IntegerField(_l("Every … weeks"), default=1, validators=[InputRequired(), NumberRange(min=1, max=8)])
    skip_conflicts = BooleanField(_l("Leave out dates that break a rule (closed days, overlaps) instead of stopping"))


class SeriesEditForm(FlaskForm):
    from_date = DateField(_l("From date"), validators=[Optional(), sensible_date], description=_l("Leave empty to change the whole series."))
    start_time = TimeField(_l("New start"), validators=[DataRequired()])
    end_time = TimeField(_l("New end"), validators=[DataRequired()])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (shown to those affected)"), validators=[DataRequired(), Length(max=500)])
    from_date = DateField(_l("From date"), validators=[Optional(), sensible_date])
