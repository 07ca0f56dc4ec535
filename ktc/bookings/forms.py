"""The filters of the team bookings page (a GET form: no CSRF)."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectChoice, SelectField
from wtforms.validators import Optional, ValidationError

from ktc.forms import PICKER

VIEW_LABELS = {
    "upcoming": _l("Coming (booked or waiting)"),
    "waitlisted": _l("On the waiting list"),
    "past": _l("Past"),
    "cancelled": _l("Cancelled"),
    "all": _l("All"),
}
# Dates outside these years are typing mistakes, and would overflow the time zone arithmetic.
FIRST_YEAR, LAST_YEAR = 2000, 2200

def _sensible_year(form, field):
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Enter a date between %(first)s and %(last)s.",
                                 first=date(FIRST_YEAR, 1, 1).isoformat(), last=date(LAST_YEAR, 12, 31).isoformat()))

class TeamBookingsFilterForm(FlaskForm):
    class Meta:
        csrf = False

    view = SelectField(_l("Show"), choices=[SelectChoice(k, v) for k, v in VIEW_LABELS.items()], default="upcoming")
    unit = SelectField(_l("Unit"), coerce=int, default=0)
    person = SelectField(_l("Person"), coerce=int, default=0, render_kw=PICKER)
    skill = SelectField(_l("Skill"), coerce=int, default=0)
    start = DateField(_l("From date"), validators=[Optional(), _sensible_year])
    end = DateField(_l("To date"), validators=[Optional(), _sensible_year])
    session = HiddenField()

    def fill_choices(self, units, people, skills):
        self.unit.choices = [SelectChoice(0, _l("All units"))] + [SelectChoice(u.id, u.name) for u in units]
        self.person.choices = [SelectChoice(0, _l("Everyone"))] + [SelectChoice(p.id, p.name) for p in people]
        self.skill.choices = [SelectChoice(0, _l("All skills"))] + [
            SelectChoice(s.id, f"{s.code} {s.name}") for s in skills]

    def clean(self, name, default):
        """A field's value if it passed validation, else the default (a bad filter is shown, not applied)."""
        field = self[name]
        return default if field.errors or field.data in (None, "") else field.data
