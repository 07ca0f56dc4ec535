"""Dates are formatted once per value, zone, format and language (Babel is slow per call), and the
kept answers never leak between zones or languages: one instant reads differently in Stockholm and
London, in Swedish and in English."""
from flask_babel import force_locale

from ktc.i18n import fmt_date, fmt_datetime, fmt_time
from tests import factories as make


def test_the_same_instant_is_formatted_per_zone_and_language(app):
    moment = make.local(2026, 7, 1, 0, 30)  # 22:30 UTC the day before: London is still on 30 June
    with app.test_request_context(), force_locale("sv"):
        assert fmt_time(moment, "Europe/Stockholm") == "00:30"
        assert fmt_time(moment, "Europe/London") == "23:30"
        assert fmt_time(moment, "Europe/Stockholm") == "00:30"
        assert fmt_date(moment, "long", "Europe/London") == "30 juni 2026"
        assert fmt_datetime(moment, "Europe/Stockholm") == "1 juli 2026 00:30:00"
    with app.test_request_context(), force_locale("en"):
        assert fmt_date(moment, "long", "Europe/London") == "30 June 2026"
        assert fmt_datetime(moment, "Europe/Stockholm") == "1 Jul 2026 00:30"
        assert fmt_time(moment, "Europe/London") == "23:30"
