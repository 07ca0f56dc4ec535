"""Printable participant lists: who may print them, what they show, and a fixed number of statements."""
from datetime import timedelta

import pytest

from ktc.extensions import db
from ktc.i18n import to_local
from tests.queries import statements as _statements


@pytest.fixture
def day(make):
    centre = make.centre(name="KTC Sundsvall")
    other_centre = make.centre(name="KTC Härnösand")
    station = make.station(centre, name="Kateter och sårvård")
    other_station = make.station(other_centre, name="HLR")
    kommun = make.organisation("municipal", name="Sundsvalls kommun")
    region = make.organisation("regional", name="Region Västernorrland")
    home_care = make.unit(kommun, name="Hemtjänst Centrum")
    ward = make.unit(region, name="Medicinavdelning 3")
    nurse = make.profession("Sjuksköterska")
    instructor = make.user("instructor", name="Johan Lind")
    other_instructor = make.user("instructor", name="Eva Lärare")
    start = make.future(10, hour=9)
    morning = make.session(station, start=start, instructors=[instructor], capacity=4, title="Kateter förmiddag")
    afternoon = make.session(station, start=start + timedelta(hours=4), instructors=[other_instructor],
                             title="Sår eftermiddag")
    elsewhere = make.session(other_station, start=start, instructors=[instructor], title="HLR i Härnösand")
    alva = make.participant(home_care, name="Alva Andersson", profession=nurse)
    peter = make.participant(ward, name="Peter Strand")
    omar = make.participant(home_care, name="Omar Haddad")
    lina = make.participant(home_care, name="Lina Ek")
    make.booking(morning, peter)
    make.booking(morning, alva)
    make.booking(morning, omar, status="waitlisted")
    make.booking(morning, lina, status="cancelled")
    make.booking(afternoon, lina)
    db.session.commit()
    return type("Day", (), locals())


def test_the_session_list_has_everyone_seated_with_unit_organisation_profession_and_a_signature_column(
        client, login_as, day):
    login_as(day.instructor)
    response = client.get(f"/sessions/{day.morning.id}/print")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for heading in ("Namn", "Enhet", "Organisation", "Yrke", "Signatur"):
        assert f'<th scope="col">{heading}</th>' in page
    # Seated people in name order, each with unit, organisation and profession; the cancelled one is gone.
    assert page.index("Alva Andersson") < page.index("Peter Strand")
    assert "<td>Alva Andersson</td><td>Hemtjänst Centrum</td>" in page
    assert "<td>Sundsvalls kommun</td><td>Sjuksköterska</td>" in page
    assert "<td>Region Västernorrland</td>" in page
    assert page.count('<td class="signature">') == 2
    assert "Lina Ek" not in page
    # The waiting list is printed below, without a signature line; there is no menu on the page.
    assert "Reservlista" in page and "Omar Haddad" in page
    assert 'class="main-nav' not in page


def test_only_admins_and_the_sessions_instructors_print_its_list(client, login_as, day, make):
    url = f"/sessions/{day.morning.id}/print"
    for user, status in [(day.other_instructor, 403), (make.manager(day.home_care), 403),
                         (make.participant_user(day.alva), 403), (make.user("admin"), 200), (day.instructor, 200)]:
        login_as(user)
        assert client.get(url).status_code == status, user.role


def test_the_days_list_of_a_centre(client, login_as, day, make):
    date = to_local(day.morning.start_at).date().isoformat()
    login_as(make.user("admin"))
    page = client.get(f"/sessions/day/{date}/print?centre={day.centre.id}").get_data(as_text=True)
    assert "Kateter förmiddag" in page and "Sår eftermiddag" in page and "HLR i Härnösand" not in page
    assert page.index("Kateter förmiddag") < page.index("Sår eftermiddag")
    everywhere = client.get(f"/sessions/day/{date}/print").get_data(as_text=True)
    assert "HLR i Härnösand" in everywhere
    # An instructor gets the sessions they lead, at that centre.
    login_as(day.instructor)
    page = client.get(f"/sessions/day/{date}/print?centre={day.centre.id}").get_data(as_text=True)
    assert "Kateter förmiddag" in page and "Sår eftermiddag" not in page and "Lina Ek" not in page
    # Nonsense dates and centres are not found; managers and participants may not print.
    for url in (f"/sessions/day/2026-02-30/print", f"/sessions/day/{date}/print?centre=999999",
                f"/sessions/day/0001-01-01/print"):
        assert client.get(url).status_code == 404, url
    login_as(make.manager(day.home_care))
    assert client.get(f"/sessions/day/{date}/print").status_code == 403




def test_the_lists_take_a_fixed_number_of_statements(client, login_as, day, make):
    date = to_local(day.morning.start_at).date().isoformat()
    login_as(day.instructor)
    urls = [f"/sessions/{day.morning.id}/print", f"/sessions/day/{date}/print?centre={day.centre.id}"]
    with _statements() as few:
        for url in urls:
            assert client.get(url).status_code == 200
    for i in range(12):
        unit = make.unit(name=f"Enhet {i}")
        make.booking(day.morning, make.participant(unit, profession=make.profession()), status="waitlisted")
    db.session.commit()
    with _statements() as many:
        for url in urls:
            assert client.get(url).status_code == 200
    assert len(many) == len(few)
