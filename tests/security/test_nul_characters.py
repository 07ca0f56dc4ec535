"""A NUL character in a page's query or form: refused as a whole with a clear message, nothing read or
saved (PostgreSQL refuses NUL in text as a server error; SQLite would store it)."""
import pytest

from ktc.extensions import db
from ktc.organisations.models import Organisation, Unit

MESSAGE = "Förfrågan innehåller ett tecken som inte kan sparas (NUL)."


@pytest.fixture
def admin(make, login_as):
    user = make.user("admin")
    organisation = make.organisation("municipal", name="Sundsvalls kommun")
    db.session.commit()
    login_as(user)
    return organisation


@pytest.mark.parametrize("query", ["/audit/?action=booking\x00", "/organisations/participants?q=an\x00",
                                   "/sessions/?q=a\x00", "/bookings/team/bookings?q\x00=a"])
def test_a_nul_in_a_pages_query_is_refused_with_a_message(client, admin, query):
    response = client.get(query)
    assert response.status_code == 400
    assert MESSAGE in response.get_data(as_text=True)


def test_a_nul_in_a_form_saves_nothing_and_says_why(client, admin):
    response = client.post("/organisations/new", data={"name": "Timrå\x00 kommun", "side": "municipal"})
    assert response.status_code == 400 and MESSAGE in response.get_data(as_text=True)
    response = client.post(f"/organisations/{admin.id}/units/new", data={"name": "Hemtjänst\x00"})
    assert response.status_code == 400
    assert db.session.query(Organisation).count() == 1 and db.session.query(Unit).count() == 0
    # The same forms without the character save.
    assert client.post("/organisations/new", data={"name": "Timrå kommun", "side": "municipal"}).status_code == 302
    assert db.session.query(Organisation).count() == 2


def test_the_message_is_in_the_users_language(client, admin):
    client.post("/lang", data={"lang": "en"})
    body = client.get("/audit/?action=a\x00").get_data(as_text=True)
    assert "The request contains a character that cannot be saved (NUL)." in body


def test_the_api_still_answers_a_nul_per_field(client, make):
    """The API is not refused as a whole: its schemas name the field (422), as before."""
    from ktc.accounts.operations import issue_api_token

    token = issue_api_token(make.user("admin"))
    db.session.commit()
    response = client.post("/api/v1/organisations", json={"name": "A\x00", "side": "municipal"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert "name" in str(response.json)
