"""The staff search behind the pickers: per-unit restriction, matching, limit and a fixed query count."""
from datetime import datetime, timezone

import pytest

from ktc.extensions import db
from tests.queries import statements as _statements

URL = "/organisations/staff/search"


@pytest.fixture
def county(make):
    kommun = make.organisation("municipal", name="Sundsvalls kommun")
    region = make.organisation("regional", name="Region Västernorrland")
    home_care = make.unit(kommun, name="Hemtjänst Centrum")
    ward = make.unit(region, name="Medicinavdelning 3")
    nurse = make.profession("Sjuksköterska")
    people = {
        "anna": make.participant(home_care, name="Anna Östlund", email="anna.ostlund@sundsvall.se", profession=nurse),
        "erik": make.participant(home_care, name="Erik Berg", email="erik.berg@sundsvall.se"),
        "annika": make.participant(ward, name="Annika Berglund", email="annika.berglund@rvn.se"),
        "gone": make.participant(home_care, name="Anna Slutat", email="slutat@sundsvall.se", active=False),
        "erased": make.participant(home_care, name="Anna Raderad", email="raderad@sundsvall.se",
                                   anonymised_at=datetime.now(timezone.utc)),
    }
    users = {"admin": make.user("admin"), "home_care": make.manager(home_care), "ward": make.manager(ward),
             "instructor": make.user("instructor")}
    db.session.commit()
    return type("County", (), {"people": people, "users": users, "home_care": home_care, "ward": ward})


def _names(client, **params):
    response = client.get(URL, query_string=params)
    assert response.status_code == 200, response.status_code
    return [row["name"] for row in response.get_json()["results"]]


def test_a_manager_finds_only_the_people_of_their_units(client, login_as, county):
    login_as(county.users["home_care"])
    # "Ann" starts two names here, but Annika works on the region's ward: not this manager's.
    assert _names(client, q="ann") == ["Anna Östlund"]
    assert _names(client, q="berg") == ["Erik Berg"]
    assert "Annika Berglund" not in _names(client)
    login_as(county.users["ward"])
    assert _names(client, q="ann") == ["Annika Berglund"]


def test_a_manager_cannot_search_another_managers_unit(client, login_as, county):
    login_as(county.users["home_care"])
    assert client.get(URL, query_string={"unit": county.ward.id}).status_code == 404
    assert client.get(URL, query_string={"unit": 2**40}).status_code == 404
    assert _names(client, unit=county.home_care.id) == ["Anna Östlund", "Erik Berg"]


def test_an_admin_finds_everyone_active_and_can_narrow_to_a_unit(client, login_as, county):
    login_as(county.users["admin"])
    assert _names(client, q="ann") == ["Anna Östlund", "Annika Berglund"]
    assert _names(client, q="ann", unit=county.ward.id) == ["Annika Berglund"]
    row = client.get(URL, query_string={"q": "östl"}).get_json()["results"][0]
    assert row == {"id": county.people["anna"].id, "name": "Anna Östlund", "email": "anna.ostlund@sundsvall.se",
                   "unit": "Hemtjänst Centrum", "organisation": "Sundsvalls kommun", "side": "municipal",
                   "profession": "Sjuksköterska"}


def test_matching_is_by_the_start_of_a_word_or_the_email(client, login_as, county):
    login_as(county.users["admin"])
    assert _names(client, q="BERG") == ["Annika Berglund", "Erik Berg"]  # surnames, any case
    assert _names(client, q="Öst") == _names(client, q="öst") == ["Anna Östlund"]  # Swedish letters
    assert _names(client, q="erik.b") == ["Erik Berg"]  # the e-mail's start
    assert _names(client, q="anna berg") == []  # every word must match
    assert _names(client, q="ann berg") == ["Annika Berglund"]
    assert _names(client, q="nna") == []  # not the middle of a word
    assert _names(client, q="%") == [] and _names(client, q="_") == []  # wildcards are plain characters


def test_other_roles_are_refused(client, login_as, county):
    login_as(county.users["instructor"])
    assert client.get(URL, query_string={"q": "ann"}).status_code == 403




def test_at_most_twenty_answers_in_a_fixed_number_of_statements(client, login_as, county, make):
    manager = county.users["home_care"]
    login_as(manager)
    with _statements() as few:
        assert len(_names(client, q="a")) == 1
    for i in range(30):
        make.participant(county.home_care, name=f"Alva {i:02d}", profession=make.profession())
    db.session.commit()
    with _statements() as many:
        found = _names(client, q="a")
    assert found == [f"Alva {i:02d}" for i in range(20)]  # the first 20 by name, of 31
    assert len(many) == len(few)
