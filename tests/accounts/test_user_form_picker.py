"""The user form's staff-record picker sends only the chosen record; the picker searches the server."""
import re

from ktc.extensions import db


def _staff_options(page):
    select = page.split('id="participant_id"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option([^>]*)>([^<]*)</option>', select)


def test_the_form_does_not_list_every_person(client, make, login_as):
    unit = make.unit(name="Hemtjänst Norr")
    for i in range(30):
        make.participant(unit, name=f"Person {i:02d}")
    admin = make.user("admin")
    db.session.commit()
    login_as(admin)
    page = client.get("/users/new").get_data(as_text=True)
    assert [label for _attrs, label in _staff_options(page)] == ["– Ingen personalpost –"]
    assert 'data-picker="staff"' in page and 'data-search-url="/organisations/staff/search"' in page


def test_a_refused_form_keeps_the_chosen_record(client, make, login_as):
    person = make.participant(name="Pia Persson", email="pia@example.org")
    make.participant(name="Olle Other")
    admin = make.user("admin")
    db.session.commit()
    login_as(admin)
    response = client.post("/users/new", data={"email": "inte en adress", "name": "Pia", "role": "participant",
                                               "participant_id": person.id})
    assert response.status_code == 422
    options = _staff_options(response.get_data(as_text=True))
    assert len(options) == 2
    attrs, label = options[1]
    assert label.startswith("Pia Persson (pia@example.org)") and "selected" in attrs


def test_the_edit_form_shows_the_linked_record(client, make, login_as):
    person = make.participant(name="Pia Persson", email="pia@example.org")
    make.participant(name="Olle Other")
    pia = make.participant_user(person)
    admin = make.user("admin")
    db.session.commit()
    login_as(admin)
    options = _staff_options(client.get(f"/users/{pia.id}/edit").get_data(as_text=True))
    assert [label.split(" (")[0] for _attrs, label in options] == ["– Ingen personalpost –", "Pia Persson"]
    assert "selected" in options[1][0]
