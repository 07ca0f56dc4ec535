from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from ktc.forms import sensible_date


class JoinForm(FlaskForm):
    name = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("About the organisation"), validators=[Optional(), Length(max=500)])


class ContactForm(FlaskForm):
    email = StringField(_l("E-mail of the contact person"), validators=[DataRequired(), Email(), Length(max=254)])


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    day = DateField(_l("Date"), validators=[DataRequired(), sensible_date])
    start_time = TimeField(_l("Start"), validators=[DataRequired()])
    end_time = TimeField(_l("End"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    online_url = StringField(_l("Online link"), validators=[Optional(), Length(max=500)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=20000)])


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class MinutesForm(FlaskForm):
    minutes = TextAreaField(_l("Minutes: decisions and lessons"), validators=[Optional(), Length(max=50000)])


class ActionForm(FlaskForm):
    text = StringField(_l("Action"), validators=[DataRequired(), Length(max=500)])
    owner_kind = SelectField(_l("Owner"), choices=[
        SelectChoice("station", _l("A KTC station")), SelectChoice("skill", _l("A skill")),
        SelectChoice("organisation", _l("A member organisation")), SelectChoice("person", _l("A person"))])
    station = SelectField(_l("Station"), coerce=_int_or_none, validators=[Optional()])
    skill = SelectField(_l("Skill"), coerce=_int_or_none, validators=[Optional()])
    member = SelectField(_l("Organisation"), coerce=_int_or_none, validators=[Optional()])
    owner_name = StringField(_l("Person"), validators=[Optional(), Length(max=200)])
    due_on = DateField(_l("Due"), validators=[Optional(), sensible_date])

    def fill_choices(self):
        from sqlalchemy import select

        from ktc.extensions import db
        from ktc.meetings.models import NetworkMember
        from ktc.skills.models import Skill
        from ktc.stations.models import Station

        none = SelectChoice("", "–")
        self.station.choices = [none] + [SelectChoice(str(s.id), s.name) for s in db.session.execute(
            select(Station).order_by(Station.name)).scalars()]
        self.skill.choices = [none] + [SelectChoice(str(s.id), f"{s.code} {s.name}") for s in db.session.execute(
            select(Skill).order_by(Skill.code)).scalars()]
        self.member.choices = [none] + [SelectChoice(str(m.id), m.name) for m in db.session.execute(
            select(NetworkMember).where(NetworkMember.status == "member").order_by(NetworkMember.name)).scalars()]
