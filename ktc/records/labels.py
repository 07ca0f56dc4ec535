"""Translated names of outcomes and matrix statuses, shared by pages, CSV and e-mails."""
from flask_babel import lazy_gettext as _l

OUTCOME_LABELS = {
    "demonstrated": _l("Demonstrated"),
    "practised": _l("Practised"),
    "needs_practice": _l("Needs more practice"),
}

STATUS_LABELS = {
    "valid": _l("Valid"),
    "expiring": _l("Expiring soon"),
    "expired": _l("Expired"),
    "practised": _l("Practised, not demonstrated"),
    "missing": _l("Missing"),
}

BOOKING_LABELS = {
    "confirmed": _l("Not recorded yet"),
    "attended": _l("Attended"),
    "no_show": _l("Did not come"),
}


def template_labels():
    return {"outcome_labels": OUTCOME_LABELS, "status_labels": STATUS_LABELS, "booking_labels": BOOKING_LABELS}
