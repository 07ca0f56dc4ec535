"""Centres, opening hours, closed days and stations: permissions, editing, validation and export."""
from datetime import date, time

import pytest

from ktc.extensions import db
from ktc.stations.models import Centre, ClosedDay, Station

ROLES = ("anonymous", "admin", "manager_a", "manager_b", "instructor", "participant", "network")


@pytest.fixture
def world(make):
    users, a, b = make.cast()
    station = make.station(name="Kateterstationen")
    closed = ClosedDay(centre=station.centre, day=date(2030, 6, 21), reason="Midsommarafton")
    db.session.add(closed)
    db.session.flush()
    ids = {"station": station.id, "centre": station.centre_id, "closed": closed.id,
           "cookies": {role: u.get_id() for role, u in users.items()}}
    ids["cookies"]["anonymous"] = None
    db.session.commit()
    return ids


GETS = ["/stations/", "/stations/?format=csv", "/stations/centres", "/stations/centres?format=csv",
        "/stations/centres/new", "/stations/centres/{centre}", "/stations/centres/{centre}/edit",
        "/stations/centres/{centre}/closed-days.csv", "/stations/centres/{centre}/stations/new",
        "/stations/{station}/edit"]
POSTS = ["/stations/centres/new", "/stations/centres/{centre}/edit", "/stations/centres/{centre}/closed-days",
         "/stations/centres/{centre}/closed-days/{closed}/delete", "/stations/centres/{centre}/stations/new",
         "/stations/{station}/edit"]


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_reach_centres_and_stations(client, make, world, role):
    make.set_login(client, world["cookies"][role])
    expected = {"anonymous": 302, "admin": 200}.get(role, 403)
    for url in GETS:
        assert client.get(url.format(**world)).status_code == expected, (url, role)
    if role == "admin":
        return
    for url in POSTS:
        response = client.post(url.format(**world), data={"name": "Intrång", "day": "2030-01-01"})
        assert response.status_code == expected, (url, role)
    db.session.rollback()
    assert db.session.query(ClosedDay).count() == 1
    assert db.session.get(Station, world["station"]).name == "Kateterstationen"


def _hours(**overrides):
    data = {}
    for wd in range(7):
        if wd >= 5:
            data[f"day{wd}_closed"] = "y"
        else:
            data[f"day{wd}_opens"], data[f"day{wd}_closes"] = "08:00", "16:30"
    data.update(overrides)
    return data


def test_create_centre_with_opening_hours(client, make):
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    assert 'value="Europe/Stockholm"' in client.get("/stations/centres/new").get_data(as_text=True)
    response = client.post("/stations/centres/new", data={"name": "KTC Linköping", "address": "Garnisonsvägen 10",
                                                         "timezone": "Europe/Stockholm", **_hours()})
    assert response.status_code == 302
    centre = db.session.query(Centre).one()
    assert [(h.weekday, h.opens, h.closes) for h in centre.opening_hours] == [
        (wd, time(8, 0), time(16, 30)) for wd in range(5)]
    centre_id = centre.id
    db.session.rollback()
    # Open on Saturday, closed on Monday.
    response = client.post(f"/stations/centres/{centre_id}/edit", data={
        "name": "KTC Linköping", "timezone": "Europe/Stockholm",
        **_hours(day0_closed="y", day5_closed="", day5_opens="10:00", day5_closes="14:00")})
    assert response.status_code == 302
    centre = db.session.get(Centre, centre_id)
    assert [h.weekday for h in centre.opening_hours] == [1, 2, 3, 4, 5]
    db.session.rollback()
    page = client.get(f"/stations/centres/{centre_id}").get_data(as_text=True)
    assert "10:00–14:00" in page


def test_centre_validation(client, make):
    make.centre(name="KTC Norrköping")
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    response = client.post("/stations/centres/new", data={
        "name": "ktc norrköping", "timezone": "Europe/Stockholm", **_hours()})
    assert response.status_code == 422
    assert "Det finns redan ett centrum med det namnet." in response.get_data(as_text=True)
    response = client.post("/stations/centres/new", data={
        "name": "KTC Mars", "timezone": "Mars/Olympus", **_hours(day1_opens="", day2_closes="07:00",
                                                                 day3_opens="25:99")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Okänd tidszon ”Mars/Olympus”" in page
    assert "Ange när det öppnar, eller kryssa i stängt." in page
    assert "Stängningstiden måste vara efter öppningstiden." in page
    assert "Skriv tiden som TT:MM" in page
    assert "Tisdag: öppnar" in page  # the error summary names the day
    assert 'value="Mars/Olympus"' in page
    assert db.session.query(Centre).count() == 1


def test_closed_days_added_and_removed(client, make):
    centre = make.centre()
    centre_id = centre.id
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    url = f"/stations/centres/{centre_id}/closed-days"
    assert client.post(url, data={"day": "2030-12-24", "reason": "Julafton"}).status_code == 302
    response = client.post(url, data={"day": "2030-12-24", "reason": "Igen"})
    assert response.status_code == 422
    assert "Det datumet är redan markerat som stängt." in response.get_data(as_text=True)
    response = client.post(url, data={"day": "24/12", "reason": ""})
    assert "Skriv datumet som ÅÅÅÅ-MM-DD." in response.get_data(as_text=True)
    closed = db.session.query(ClosedDay).one()
    assert (closed.day, closed.reason) == (date(2030, 12, 24), "Julafton")
    closed_id = closed.id
    db.session.rollback()
    export = client.get(f"/stations/centres/{centre_id}/closed-days.csv").get_data().decode("utf-8-sig")
    assert "2030-12-24;Julafton" in export
    # Another centre's closed day cannot be removed through this centre.
    other_id = make.centre().id
    db.session.commit()
    assert client.post(f"/stations/centres/{other_id}/closed-days/{closed_id}/delete").status_code == 404
    assert client.post(f"/stations/centres/{centre_id}/closed-days/{closed_id}/delete").status_code == 302
    assert db.session.query(ClosedDay).count() == 0


def test_create_and_edit_station(client, make):
    centre = make.centre(name="KTC Motala")
    cpr, lift = make.skill(code="HLR-01"), make.skill(code="LYFT-01")
    ids = dict(centre=centre.id, cpr=cpr.id, lift=lift.id)
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    response = client.post(f"/stations/centres/{ids['centre']}/stations/new", data={
        "name": "HLR-rummet", "skill_ids": [ids["cpr"], ids["lift"]], "default_capacity": "6",
        "default_duration_minutes": "90", "changeover_minutes": "20", "equipment_notes": "Två dockor", "active": "y"})
    assert response.status_code == 302
    station = db.session.query(Station).one()
    assert sorted(s.code for s in station.skills) == ["HLR-01", "LYFT-01"]
    assert (station.default_capacity, station.default_duration_minutes, station.changeover_minutes) == (6, 90, 20)
    station_id = station.id
    db.session.rollback()
    response = client.post(f"/stations/{station_id}/edit", data={
        "name": "HLR-rummet", "skill_ids": [ids["cpr"]], "default_capacity": "0", "default_duration_minutes": "x",
        "changeover_minutes": "300"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Antalet platser ska vara mellan 1 och 200." in page or "Ange antalet platser." in page
    assert "Ange ett heltal." in page
    assert "Omställningstiden ska vara mellan 0 och 240 minuter." in page
    db.session.rollback()
    assert len(db.session.get(Station, station_id).skills) == 2
    db.session.rollback()
    response = client.post(f"/stations/{station_id}/edit", data={
        "name": "HLR-rummet", "skill_ids": [ids["cpr"]], "default_capacity": "8", "default_duration_minutes": "120",
        "changeover_minutes": "0"})
    assert response.status_code == 302
    station = db.session.get(Station, station_id)
    assert ([s.code for s in station.skills], station.changeover_minutes, station.active) == (["HLR-01"], 0, False)


def test_station_names_unique_per_centre(client, make):
    station = make.station(name="Sårvård")
    centre_id = station.centre_id
    other_id = make.centre().id
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    data = {"name": "sårvård", "default_capacity": "8", "default_duration_minutes": "120", "changeover_minutes": "15"}
    response = client.post(f"/stations/centres/{centre_id}/stations/new", data=data)
    assert response.status_code == 422
    assert "Centrumet har redan en station med det namnet." in response.get_data(as_text=True)
    assert client.post(f"/stations/centres/{other_id}/stations/new", data=data).status_code == 302


def test_station_export_keeps_swedish_letters(client, make):
    make.station(centre_=make.centre(name="KTC Örebro"), name="Förflyttningsstationen",
                 skills=[make.skill(name="Förflyttning med lyft")])
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    data = client.get("/stations/?format=csv").get_data()
    assert data.startswith("\ufeff".encode("utf-8"))
    text = data.decode("utf-8")
    assert "KTC Örebro;Förflyttningsstationen" in text and "Förflyttning med lyft" in text
    centres = client.get("/stations/centres?format=csv").get_data().decode("utf-8-sig")
    assert "KTC Örebro" in centres and "Europe/Stockholm" in centres
