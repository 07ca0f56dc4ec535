"""Demo-like people and places for the browser journeys (created with the factories, not screens)."""
from datetime import time
from types import SimpleNamespace

from ktc.extensions import db

from tests import factories as make
from tests.e2e.conftest import PASSWORD

MUNICIPAL_STAFF = ["Alva Andersson", "Elin Berg", "Sara Nilsson", "Omar Haddad", "Lina Ek"]
REGIONAL_STAFF = ["Peter Strand", "Fatima Ali", "Nils Åberg"]


def _email(name):
    plain = name.lower().replace("å", "a").replace("ä", "a").replace("ö", "o")
    return plain.replace(" ", ".") + "@example.se"


def build():
    centre = make.centre(name="KTC Sundsvall", opens=time(7, 0), closes=time(20, 0))
    catheter = make.skill(code="KAT01", name="KAD-skötsel", category="Elimination", refresh_months=24)
    wound = make.skill(code="SAR01", name="Sårvård", category="Hud", refresh_months=36)
    station = make.station(centre, skills=[catheter, wound], name="Kateter och sårvård", default_capacity=6)
    admin = make.user("admin", name="Karin Ek", email="karin.ek@ktc.example.se", password=PASSWORD)
    instructor = make.user("instructor", name="Johan Lind", email="johan.lind@ktc.example.se", password=PASSWORD)
    network = make.user("network", name="Nätverkssamordnare", email="natverk@example.se", password=PASSWORD)
    kommun = make.organisation("municipal", name="Sundsvalls kommun")
    region = make.organisation("regional", name="Region Västernorrland")
    home_care = make.unit(kommun, name="Hemtjänst Centrum")
    ward = make.unit(region, name="Medicinavdelning 3")
    municipal_manager = make.manager(home_care, name="Maria Sjöberg", email="maria.sjoberg@sundsvall.example.se",
                                     password=PASSWORD)
    regional_manager = make.manager(ward, name="Rikard Holm", email="rikard.holm@rvn.example.se", password=PASSWORD)
    municipal = [make.participant(home_care, name=n, email=_email(n)) for n in MUNICIPAL_STAFF]
    regional = [make.participant(ward, name=n, email=_email(n)) for n in REGIONAL_STAFF]
    alva = make.participant_user(municipal[0], password=PASSWORD)
    db.session.commit()
    return SimpleNamespace(
        centre=centre, station=station, skills=[catheter, wound], admin=admin, instructor=instructor,
        network=network, municipal_manager=municipal_manager, regional_manager=regional_manager,
        municipal=municipal, regional=regional, alva=alva, home_care=home_care, ward=ward,
    )
