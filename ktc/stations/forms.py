"""Forms for centres (with weekly opening hours), closed days and stations."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectMultipleField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from ktc.forms import PICKER, sensible_date
from ktc.i18n import fmt_weekday

WEEKDAYS = range(7)


class CentreForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    timezone = StringField(_l("Time zone"), default="Europe/Stockholm",
                           validators=[DataRequired(_l("Enter a time zone.")), Length(max=64)])
    default_min_per_side = IntegerField(
        _l("Seats held for each side (default for new sessions)"), default=0,
        validators=[Optional(), NumberRange(0, 100, _l("Seats held per side must be between 0 and 100."))],
        invalid_value_message=_l("Enter a whole number."),
    )
    # day0_closed, day0_opens, day0_closes … day6_closes are added below the class.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for wd in WEEKDAYS:
            day = fmt_weekday(wd).capitalize()
            self[f"day{wd}_closed"].label.text = _("%(day)s: closed all day", day=day)
            self[f"day{wd}_opens"].label.text = _("%(day)s: opens", day=day)
            self[f"day{wd}_closes"].label.text = _("%(day)s: closes", day=day)

    def validate_timezone(self, field):
        from ktc.errors import ValidationError
        from ktc.stations.operations import valid_timezone

        try:
            valid_timezone(field.data)
        except ValidationError as exc:
            raise FieldError(str(exc)) from exc

    def day_fields(self):
        """(weekday name, closed, opens, closes) for the template."""
        return [(fmt_weekday(wd).capitalize(), self[f"day{wd}_closed"], self[f"day{wd}_opens"],
                 self[f"day{wd}_closes"]) for wd in WEEKDAYS]

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for wd in WEEKDAYS:
            if self[f"day{wd}_closed"].data:
                continue
            opens, closes = self[f"day{wd}_opens"], self[f"day{wd}_closes"]
            if opens.data is None and not opens.errors:
                opens.errors = list(opens.errors) + [_("Enter the opening time, or tick closed.")]
                ok = False
            if closes.data is None and not closes.errors:
                closes.errors = list(closes.errors) + [_("Enter the closing time, or tick closed.")]
                ok = False
            if opens.data and closes.data and closes.data <= opens.data:
                closes.errors = list(closes.errors) + [_("The closing time must be after the opening time.")]
                ok = False
        return ok

    def hours(self):
        """{weekday: (opens, closes) or None when closed}."""
        hours = {}
        for wd in WEEKDAYS:
            closed = self[f"day{wd}_closed"].data
            hours[wd] = None if closed else (self[f"day{wd}_opens"].data, self[f"day{wd}_closes"].data)
        return hours

    @staticmethod
    def data_from(centre):
        """Initial values for editing a centre."""
        data = {"name": centre.name, "address": centre.address, "timezone": centre.timezone,
                "default_min_per_side": centre.default_min_per_side}
        open_days = {h.weekday: h for h in centre.opening_hours}
        for wd in WEEKDAYS:
            row = open_days.get(wd)
            data[f"day{wd}_closed"] = row is None
            data[f"day{wd}_opens"] = row.opens if row else None
            data[f"day{wd}_closes"] = row.closes if row else None
        return data


_TIME_MESSAGE = _l("Write the time as HH:MM, for example 08:00.")
for _wd in WEEKDAYS:
    setattr(CentreForm, f"day{_wd}_closed", BooleanField(_l("Closed all day")))
    setattr(CentreForm, f"day{_wd}_opens", TimeField(_l("Opens"), validators=[Optional()],
                                                           invalid_value_message=_TIME_MESSAGE))
    setattr(CentreForm, f"day{_wd}_closes", TimeField(_l("Closes"), validators=[Optional()],
                                                            invalid_value_message=_TIME_MESSAGE))


class ClosedDayForm(FlaskForm):
    # InputRequired (not DataRequired) so that a date that cannot be read keeps its own message.
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter a date.")), sensible_date],
                    invalid_value_message=_l("Write the date as YYYY-MM-DD."))
    reason = StringField(_l("Reason"), validators=[Length(max=200)])


class StationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    description = TextAreaField(_l("Description"))
    skill_ids = SelectMultipleField(_l("Skills trained"), coerce=int, render_kw=PICKER)
    default_capacity = IntegerField(
        _l("Default capacity"), default=8,
        validators=[InputRequired(_l("Enter the number of places.")),
                    NumberRange(1, 200, _l("The capacity must be between 1 and 200."))],
        invalid_value_message=_l("Enter a whole number."),
    )
    default_duration_minutes = IntegerField(
        _l("Default duration (minutes)"), default=120,
        validators=[InputRequired(_l("Enter the duration in minutes.")),
                    NumberRange(5, 1440, _l("The duration must be between 5 and 1440 minutes."))],
        invalid_value_message=_l("Enter a whole number."),
    )
    changeover_minutes = IntegerField(
        _l("Changeover buffer (minutes)"), default=15,
        validators=[Optional(), NumberRange(0, 240, _l("The changeover buffer must be between 0 and 240 minutes."))],
        invalid_value_message=_l("Enter a whole number."),
    )
    default_min_per_side = IntegerField(
        _l("Seats held for each side (default for new sessions)"),
        validators=[Optional(), NumberRange(0, 100, _l("Seats held per side must be between 0 and 100."))],
        invalid_value_message=_l("Enter a whole number."),
    )
    equipment_notes = TextAreaField(_l("Equipment notes"))
    active = BooleanField(_l("Active"), default=True)
