from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ktc.forms import sensible_date


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class NetworkFilterForm(Form):
    """The filters of the network view; a GET form (no state change, so no CSRF token)."""

    date_from = DateField(_l("From"), validators=[Optional(), sensible_date])
    date_to = DateField(_l("To"), validators=[Optional(), sensible_date])
    centre = SelectField(_l("Centre"), coerce=_int_or_none, validators=[Optional()])
    station = SelectField(_l("Station"), coerce=_int_or_none, validators=[Optional()])
    skill = SelectField(_l("Skill"), coerce=_int_or_none, validators=[Optional()])
    side = SelectField(_l("Side"), validators=[Optional()])

    def fill_choices(self, centres, stations, skills):
        everyone = SelectChoice("", _l("All"))
        self.centre.choices = [everyone] + [SelectChoice(str(c.id), c.name) for c in centres]
        self.station.choices = [everyone] + [
            SelectChoice(str(s.id), f"{s.name} ({s.centre.name})") for s in stations
        ]
        self.skill.choices = [everyone] + [SelectChoice(str(s.id), f"{s.code} {s.name}") for s in skills]
        self.side.choices = [
            everyone, SelectChoice("municipal", _l("Municipality")), SelectChoice("regional", _l("Region")),
        ]
