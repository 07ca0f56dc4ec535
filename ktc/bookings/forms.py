"""The filters of the team bookings page (a GET form: no CSRF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectChoice, SelectField
from wtforms.validators import Optional

from ktc.forms import PICKER, sensible_date

VIEW_LABELS = {
    "upcoming": _l("Coming (booked or waiting)"),
    "waitlisted": _l("On the waiting list"),
    "past": _l("Past"),
    "cancelled": _l("Cancelled"),
    "all": _l("All"),
}

class TeamBookingsFilterForm(FlaskForm):
    class Meta:
        csrf = False

    view = SelectField(_l("Show"), choices=[SelectChoice(k, v) for k, v in VIEW_LABELS.items()], default="upcoming")
    unit = SelectField(_l("Unit"), coerce=int, default=0)
    person = SelectField(_l("Person"), coerce=int, default=0, render_kw=PICKER)
    skill = SelectField(_l("Skill"), coerce=int, default=0)
    start = DateField(_l("From date"), validators=[Optional(), sensible_date])
    end = DateField(_l("To date"), validators=[Optional(), sensible_date])
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
