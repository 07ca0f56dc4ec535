"""Forms for the roster (one small form per person, built for the session's skills) and the matrix filter."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from ktc.records.labels import OUTCOME_LABELS


def roster_row_form(session, booking, records, formdata=None):
    """The form for one person on the roster, prefilled from their booking and records.

    Fields: `attendance` and, per covered skill, `outcome_<id>` and `comment_<id>`. Each row
    has a prefix of its own so that every id on the page is unique.
    """
    skill_ids = [s.id for s in session.skills]

    class RosterRowForm(FlaskForm):
        attendance = RadioField(
            _l("Attendance"),
            choices=[SelectChoice("attended", _l("Attended")), SelectChoice("no_show", _l("Did not come"))],
            validators=[InputRequired(message=_l("Choose attended or did not come."))],
        )

        def outcome(self, skill_id):
            return self[f"outcome_{skill_id}"]

        def comment(self, skill_id):
            return self[f"comment_{skill_id}"]

        def entry(self):
            """The operation's input for this row (someone who did not come keeps no sign-off)."""
            attended = self.attendance.data == "attended"
            return {
                "participant_id": booking.participant_id,
                "attended": attended,
                "outcomes": {sid: (self.outcome(sid).data or None) if attended else None for sid in skill_ids},
                "comments": {sid: self.comment(sid).data or "" for sid in skill_ids} if attended else {},
            }

    choices = [SelectChoice("", _l("Not signed off"))] + [SelectChoice(k, v) for k, v in OUTCOME_LABELS.items()]
    for skill in session.skills:
        setattr(RosterRowForm, f"outcome_{skill.id}", SelectField(_l("Outcome"), choices=choices))
        setattr(RosterRowForm, f"comment_{skill.id}", StringField(_l("Comment"), validators=[Length(max=1000)]))

    data = {"attendance": booking.status if booking.status in ("attended", "no_show") else None}
    for skill_id in skill_ids:
        record = records.get(skill_id)
        data[f"outcome_{skill_id}"] = record.outcome if record else ""
        data[f"comment_{skill_id}"] = record.comment if record else ""
    return RosterRowForm(formdata=formdata, data=data, prefix=f"b{booking.id}")


class MatrixFilterForm(FlaskForm):
    """Filters for the skill matrix, read from the query string (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    unit = SelectField(_l("Unit"), coerce=int, default=0)
    profession = SelectField(_l("Profession"), coerce=int, default=0)
    skill = SelectField(_l("Skill"), coerce=int, default=0)

    def fill_choices(self, units, professions, skills):
        self.unit.choices = [SelectChoice(0, _l("All units"))] + [SelectChoice(u.id, u.name) for u in units]
        self.profession.choices = [SelectChoice(0, _l("All professions"))] + [
            SelectChoice(p.id, p.name) for p in professions]
        self.skill.choices = [SelectChoice(0, _l("All skills"))] + [
            SelectChoice(s.id, f"{s.code} {s.name}") for s in skills]
