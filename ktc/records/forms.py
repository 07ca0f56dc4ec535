"""Forms for the roster (one grid form for the whole session) and the matrix filter."""
import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FormField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from ktc.records.labels import OUTCOME_LABELS

ATTENDANCE_CHOICES = (("", _l("Not recorded")), ("attended", _l("Attended")), ("no_show", _l("Did not come")))


def _row_form_class(skill_ids):
    """The fields of one person's row: attendance, and an outcome and a comment per covered skill."""

    class RosterRowForm(FlaskForm):
        class Meta:
            csrf = False  # the grid's own form carries the token

        attendance = SelectField(_l("Attendance"), choices=[SelectChoice(k, v) for k, v in ATTENDANCE_CHOICES])
        # What the row held when the page was drawn: only rows the instructor changed are saved, so
        # a co-instructor's edits to other rows in the meantime are not overwritten with old values.
        seen = HiddenField()

        def outcome(self, skill_id):
            return self[f"outcome_{skill_id}"]

        def comment(self, skill_id):
            return self[f"comment_{skill_id}"]

        def state(self):
            return json.dumps([self.attendance.data or ""] + [
                [self.outcome(sid).data or "", (self.comment(sid).data or "").strip()] for sid in skill_ids])

        @property
        def changed(self):
            return self.state() != self.seen.data

        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            if self.changed and not self.attendance.data:
                self.attendance.errors.append(_l("Choose attended or did not come."))
                ok = False
            return ok

        def entry(self, participant_id):
            """The operation's input for this row (someone who did not come keeps no sign-off)."""
            attended = self.attendance.data == "attended"
            return {
                "participant_id": participant_id,
                "attended": attended,
                "outcomes": {sid: (self.outcome(sid).data or None) if attended else None for sid in skill_ids},
                "comments": {sid: self.comment(sid).data or "" for sid in skill_ids} if attended else {},
            }

    choices = [SelectChoice("", _l("Not signed off"))] + [SelectChoice(k, v) for k, v in OUTCOME_LABELS.items()]
    for skill_id in skill_ids:
        setattr(RosterRowForm, f"outcome_{skill_id}", SelectField(_l("Outcome"), choices=choices))
        setattr(RosterRowForm, f"comment_{skill_id}", StringField(_l("Comment"), validators=[Length(max=1000)]))
    return RosterRowForm


def roster_form(session, rows, formdata=None):
    """The whole roster as one form: a row (`b<booking id>-…` fields) per person with a seat.

    `rows` is the roster's [(booking, {skill_id: SkillRecord})]. Each row is prefilled from the
    booking and records; with `formdata` (a POST) every row shows what was posted, so an error on
    one row never loses the edits made to the others.
    """
    skill_ids = [s.id for s in session.skills]
    row_class = _row_form_class(skill_ids)

    class RosterForm(FlaskForm):
        def row(self, booking):
            return self[f"b{booking.id}"].form

        def changed_rows(self):
            return [(booking, self.row(booking)) for booking, _records in rows if self.row(booking).changed]

    data = {}
    for booking, records in rows:
        values = _row_values(row_class, skill_ids, booking, records)
        setattr(RosterForm, f"b{booking.id}", FormField(row_class, separator="-"))
        data[f"b{booking.id}"] = values
    return RosterForm(formdata=formdata, data=data)


def _row_values(row_class, skill_ids, booking, records):
    """One row's fields as saved, and `seen`: their state, which a save compares against."""
    values = {"attendance": booking.status if booking.status in ("attended", "no_show") else ""}
    for skill_id in skill_ids:
        record = records.get(skill_id)
        values[f"outcome_{skill_id}"] = record.outcome if record else ""
        values[f"comment_{skill_id}"] = record.comment if record else ""
    values["seen"] = row_class(formdata=None, data=values, meta={"csrf": False}).state()
    return values


def saved_states(session, rows):
    """{booking id: the row's state as saved} for the roster's rows (compared with a posted row's `seen`)."""
    skill_ids = [s.id for s in session.skills]
    row_class = _row_form_class(skill_ids)
    return {booking.id: _row_values(row_class, skill_ids, booking, records)["seen"] for booking, records in rows}


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
