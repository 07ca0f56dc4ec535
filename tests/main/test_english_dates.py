"""English pages and e-mails use 24-hour times and unambiguous dates (2026-12-14 08:30, 14 Dec 2026)."""
import re

from flask_babel import force_locale

from ktc.extensions import db
from ktc.i18n import fmt_date, fmt_datetime, fmt_time
from tests import factories as make


def test_formats_in_english_and_swedish(app):
    moment = make.local(2026, 12, 14, 14, 30)
    with app.test_request_context(), force_locale("en"):
        assert fmt_datetime(moment, fmt="short") == "2026-12-14 14:30"
        assert fmt_datetime(moment) == "14 Dec 2026 14:30"
        assert fmt_date(moment, "short") == "2026-12-14"
        assert fmt_date(moment, "long") == "14 December 2026"
        assert fmt_time(moment) == "14:30"
    with app.test_request_context(), force_locale("sv"):
        assert fmt_datetime(moment, fmt="short") == "2026-12-14 14:30"
        assert fmt_time(moment) == "14:30"


def test_an_english_page_shows_24_hour_times(client, login_as):
    instructor = make.user("instructor")
    make.session(make.station(), start=make.future(5, hour=14), instructors=[instructor])
    db.session.commit()
    login_as(instructor)
    client.post("/lang", data={"lang": "en"})
    page = client.get("/sessions/mine").get_data(as_text=True)
    # A 12-hour time would read "2:00 PM" (or "2:00\u202fPM"): AM or PM after a time, not anywhere in the
    # page (a random CSRF token holds those letters now and then).
    assert "14:00" in page and not re.search(r"\d:\d\d\W{0,2}[AP]M\b", page)
