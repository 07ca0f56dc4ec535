"""Form helpers shared by the features."""
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from ktc.i18n import EARLIEST, LATEST, in_years

# Marks a select for the searchable picker (ktc/static/js/pickers.js, Tom Select); without
# JavaScript it stays the native select.
PICKER = {"data-picker": ""}


def sensible_date(form, field):
    """A date field's validator: a date outside the years KTC holds (ktc.i18n.EARLIEST … LATEST) is a
    typing mistake, and would overflow the time zone arithmetic."""
    if field.data is not None and not in_years(field.data):
        raise ValidationError(_l("Enter a date between %(first)s and %(last)s.",
                                 first=EARLIEST.isoformat(), last=LATEST.isoformat()))
