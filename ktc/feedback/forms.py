from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ktc.feedback.operations import TEXT_MAX

SCALE = [SelectChoice(str(i), str(i)) for i in range(1, 6)]


def _scale(label):
    return RadioField(label, choices=SCALE, validators=[DataRequired(_l("Choose a value from 1 to 5."))])


class FeedbackForm(FlaskForm):
    overall = _scale(_l("How valuable was the session for you overall?"))
    relevance = _scale(_l("How relevant was it to your daily work?"))
    confidence_before = _scale(_l("How confident were you in the skill before the session?"))
    confidence_after = _scale(_l("How confident are you in the skill after the session?"))
    learned_other_side = _scale(
        _l("Did you learn something about how the other side (municipality or region) works?")
    )
    take_back = TextAreaField(_l("What do you take back to your workplace?"), validators=[Length(max=TEXT_MAX)])
    improve = TextAreaField(_l("What could be better?"), validators=[Length(max=TEXT_MAX)])


class SessionReportForm(FlaskForm):
    what_worked = TextAreaField(_l("What worked well"), validators=[Length(max=5000)])
    what_to_change = TextAreaField(_l("What to change next time"), validators=[Length(max=5000)])
    equipment_problems = TextAreaField(_l("Equipment problems"), validators=[Length(max=5000)])
