"""The KTC staff's home page is a dashboard: today's sessions, sessions at risk, waiting lists,
outbox failures and skills expiring in the county."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ktc.extensions import db
from ktc.mail.models import OutboxMessage


@pytest.fixture
def county(make):
    centre = make.centre(name="KTC Sundsvall")  # open every day 07–20
    wound = make.skill(code="SAR01", name="Sårvård", refresh_months=24)
    catheter = make.skill(code="KAT01", name="KAD-skötsel", refresh_months=24)
    station = make.station(centre, skills=[wound, catheter], name="Sårvårdsstation")
    teacher = make.user("instructor", name="Ingrid Instruktör")
    admin = make.user("admin")
    db.session.commit()
    return type("C", (), locals())


def _section(body, anchor):
    return body.split(f'id="{anchor}"')[1].split("</section>")[0]


def test_today_and_the_sessions_at_risk(client, login_as, county, make):
    # Today's session, at a whole hour of today inside the opening hours (earlier today still counts).
    local = datetime.now(ZoneInfo("Europe/Stockholm")).replace(minute=0, second=0, microsecond=0)
    start = local.replace(hour=min(max(local.hour, 7), 17)).astimezone(timezone.utc)
    make.session(county.station, start=start, hours=1, title="Dagens sår", instructors=[county.teacher])
    # Held seats released in two days, only one side booked to its minimum.
    short = make.session(county.station, start=make.future(4, 9), capacity=8, min_per_side=2, title="Ensidigt",
                         instructors=[county.teacher])
    for side in ("municipal", "municipal", "regional"):
        make.booking(short, make.participant(side=side))
    nobody = make.session(county.station, start=make.future(10, 13), capacity=2, title="Utan instruktör")
    for side in ("municipal", "regional"):
        make.booking(nobody, make.participant(side=side))
    # Full and staffed, far from its release: not at risk.
    fine = make.session(county.station, start=make.future(5, 15), capacity=2, title="Fullt och bra",
                        instructors=[county.teacher])
    for side in ("municipal", "regional"):
        make.booking(fine, make.participant(side=side))
    db.session.commit()
    login_as(county.admin)
    body = client.get("/").get_data(as_text=True)
    assert "Dagens sår" in _section(body, "dash-today") and "Ingrid Instruktör" in _section(body, "dash-today")
    risk = _section(body, "dash-risk")
    assert "Ensidigt" in risk and "En sida har färre än 2 reserverade platser bokade" in risk
    assert "Utan instruktör" in risk and "Ingen instruktör" in risk
    assert "Mindre än halvfullt" in risk  # Ensidigt: 3 of 8
    assert "Fullt och bra" not in risk


def test_waiting_lists_outbox_failures_and_expiring_skills(client, login_as, county, make):
    full = make.session(county.station, start=make.future(6, 9), capacity=1, title="Populärt",
                        instructors=[county.teacher])
    make.booking(full, make.participant())
    for _ in range(3):
        make.booking(full, make.participant(), status="waitlisted")
    db.session.add(OutboxMessage(dedupe_key="x:1", kind="reminder", recipient="a@example.se", subject="s",
                                 body_text="b", status="failed"))
    db.session.add(OutboxMessage(dedupe_key="x:2", kind="reminder", recipient="b@example.se", subject="s",
                                 body_text="b", status="sent"))
    today = date.today()
    for days in (10, 30):  # two people's wound care runs out within the 60-day window
        make.skill_record(make.participant(), county.wound, valid_until=today + timedelta(days=days))
    make.skill_record(make.participant(), county.catheter, valid_until=today + timedelta(days=400))
    renewed = make.participant()  # renewed since: the latest demonstration decides
    make.skill_record(renewed, county.wound, valid_until=today + timedelta(days=5))
    make.skill_record(renewed, county.wound, valid_until=today + timedelta(days=700), start=make.local(2025, 3, 1))
    db.session.commit()
    login_as(county.admin)
    body = client.get("/").get_data(as_text=True)
    waiting = _section(body, "dash-waiting")
    assert "Populärt" in waiting and '<td data-label="Väntar" class="num">3</td>' in waiting
    assert "3 personer väntar" in waiting
    outbox = _section(body, "dash-outbox")
    assert "1 meddelande kunde inte levereras." in outbox and 'href="/mail/outbox?status=failed"' in outbox
    expiring = _section(body, "dash-expiring")
    assert "SAR01 Sårvård</th><td class=\"num\">2</td>" in expiring
    assert "KAT01" not in expiring


def test_other_roles_keep_their_home_page(client, login_as, county, make):
    login_as(make.user("instructor"))
    db.session.commit()
    body = client.get("/").get_data(as_text=True)
    assert "Mina tillfällen" in body and "dash-risk" not in body
