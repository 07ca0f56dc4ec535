"""The participant's calendar settings: how sessions reach their calendar, and a reminder."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired


class CalendarSettingsForm(FlaskForm):
    delivery = RadioField(
        _l("Sessions reach my calendar by"),
        choices=[
            SelectChoice("invitations", _l("E-mail invitations (recommended)")),
            SelectChoice("subscription", _l("My calendar subscription only")),
            SelectChoice("both", _l("Both (every session shows twice in your calendar)")),
        ],
        default="invitations",
        validators=[InputRequired(_l("Choose how sessions reach your calendar."))],
    )
    reminder = SelectField(
        _l("Reminder"),
        choices=[SelectChoice("", _l("No reminder")), SelectChoice("60", _l("1 hour before")),
                 SelectChoice("1440", _l("1 day before"))],
        default="",
    )
