"""Staff CSV import: preview with per-row errors, all-or-nothing confirm, manager limits."""
import html
import io

import pytest
from sqlalchemy import select

from ktc.extensions import db
from ktc.organisations.models import CsvUpload, Participant


def _upload(client, text, name="personal.csv", encoding="utf-8"):
    data = {"file": (io.BytesIO(text.encode(encoding)), name)}
    return client.post("/organisations/participants/import", data=data, content_type="multipart/form-data")


@pytest.fixture
def setup(make):
    admin = make.user("admin")
    kommun = make.organisation(name="Norrköpings kommun")
    region = make.organisation(side="regional", name="Region Östergötland")
    home = make.unit(kommun, name="Hemtjänst Väst")
    ward = make.unit(region, name="Avdelning 12")
    make.unit(region, name="Hemtjänst Väst")  # the same unit name in another organisation
    make.profession(name="Undersköterska")
    existing = make.participant(home, name="Gammal Stavning", email="lena@example.org")
    boss = make.manager(home)
    ids = dict(admin=admin.get_id(), boss=boss.get_id(), home=home.id, ward=ward.id, existing=existing.id)
    db.session.commit()
    return ids


GOOD = (
    "namn;e-post;yrke;organisation;enhet;aktiv\n"
    "Lena Lind;LENA@example.org;Undersköterska;Norrköpings kommun;Hemtjänst Väst;ja\n"
    "Örjan Åberg;orjan@example.org;;Region Östergötland;Avdelning 12;nej\n"
)


def test_preview_then_confirm_imports_and_updates(client, make, setup):
    make.set_login(client, setup["admin"])
    response = _upload(client, GOOD)
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Örjan Åberg" in page and "Lena Lind" in page
    assert db.session.query(Participant).count() == 1  # nothing saved by the preview
    db.session.rollback()
    confirm = client.post(response.headers["Location"])
    assert confirm.status_code == 302
    people = {p.email: p for p in db.session.query(Participant)}
    assert set(people) == {"lena@example.org", "orjan@example.org"}
    lena = people["lena@example.org"]
    assert lena.id == setup["existing"] and lena.name == "Lena Lind" and lena.profession.name == "Undersköterska"
    assert people["orjan@example.org"].unit_id == setup["ward"] and people["orjan@example.org"].active is False
    assert db.session.query(CsvUpload).count() == 0  # the stored file is gone after the import


def test_english_headers_and_commas_are_accepted(client, make, setup):
    make.set_login(client, setup["admin"])
    text = ("Name,Email,Profession,Organisation,Unit,Active\n"
            "Per Persson,per@example.org,,Region Östergötland,Avdelning 12,yes\n")
    response = _upload(client, text)
    client.post(response.headers["Location"])
    assert db.session.query(Participant).filter_by(email="per@example.org").one().name == "Per Persson"


def test_bad_rows_are_listed_and_nothing_is_imported(client, make, setup):
    make.set_login(client, setup["admin"])
    text = (
        "namn;e-post;yrke;organisation;enhet;aktiv\n"
        "Ny Person;ny@example.org;;Norrköpings kommun;Hemtjänst Väst;ja\n"  # fine on its own
        ";tom@example.org;;Norrköpings kommun;Hemtjänst Väst;\n"  # missing name
        "Fel Post;inte-en-adress;;Norrköpings kommun;Hemtjänst Väst;\n"  # bad e-mail
        "Dubbel;ny@example.org;;Norrköpings kommun;Hemtjänst Väst;\n"  # duplicate in file
        "Okänd;okand@example.org;Astronaut;Norrköpings kommun;Saknas;\n"  # unknown unit and profession
        "Tvetydig;tvetydig@example.org;;;Hemtjänst Väst;kanske\n"  # ambiguous unit, bad active
    )
    location = _upload(client, text).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "5 rader har fel" in page
    assert "Namn saknas." in page
    assert "”inte-en-adress” är inte en giltig e-postadress." in page
    assert "E-postadressen finns också på rad 2 i filen." in page
    assert "Okänd enhet ”Saknas” i Norrköpings kommun." in page
    assert "Okänt yrke ”Astronaut”." in page
    assert "Flera organisationer har en enhet som heter ”Hemtjänst Väst”" in page
    assert "Aktiv ska vara ja eller nej" in page
    assert "Importera" not in page.split("<main", 1)[1].split("Rader i filen")[0]  # no import button
    db.session.rollback()
    # Posting the confirm anyway imports nothing, not even the good row.
    response = client.post(location)
    assert response.status_code == 422
    assert "Filen innehåller fel; ingenting importerades." in response.get_data(as_text=True)
    assert db.session.query(Participant).count() == 1


def test_missing_columns_is_a_file_error(client, make, setup):
    make.set_login(client, setup["admin"])
    location = _upload(client, "förnamn;telefon\nA;1\n").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Kolumner saknas i filen: name, email, unit." in page


def test_confirm_rechecks_the_database(client, make, setup):
    """A row that was fine at preview time but conflicts at confirm time stops the whole import."""
    make.set_login(client, setup["boss"])
    # Fine at preview time; then someone in another unit gets that e-mail before the confirm.
    location = _upload(client, "namn;e-post;organisation;enhet\nNy Nilsson;nils@example.org;Norrköpings kommun;"
                               "Hemtjänst Väst\n").headers["Location"]
    assert "kan importeras" in client.get(location).get_data(as_text=True)
    from ktc.organisations.models import Unit

    db.session.add(Participant(name="Någon Annan", email="nils@example.org", unit=db.session.get(Unit, setup["ward"])))
    db.session.commit()
    response = client.post(location)
    assert response.status_code == 422
    assert db.session.query(Participant).filter_by(email="nils@example.org").one().name == "Någon Annan"


def test_manager_imports_only_into_own_units(client, make, setup):
    make.set_login(client, setup["boss"])
    text = (
        "namn;e-post;organisation;enhet\n"
        "Egen Personal;egen@example.org;Norrköpings kommun;Hemtjänst Väst\n"
        "Annans Personal;annan@example.org;Region Östergötland;Avdelning 12\n"
    )
    location = _upload(client, text).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Du är inte chef för enheten ”Avdelning 12”." in page
    db.session.rollback()
    assert client.post(location).status_code == 422
    assert db.session.query(Participant).count() == 1
    db.session.rollback()
    ok = _upload(client, text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n").headers["Location"]
    assert client.post(ok).status_code == 302
    assert db.session.query(Participant).filter_by(email="egen@example.org").one().unit_id == setup["home"]


def test_manager_cannot_take_over_someone_in_another_unit_by_email(client, make, setup):
    from ktc.organisations.models import Unit

    db.session.add(Participant(name="Regionens", email="reg@example.org", unit=db.session.get(Unit, setup["ward"])))
    db.session.commit()
    make.set_login(client, setup["boss"])
    location = _upload(client, "namn;e-post;organisation;enhet\nÖvertagen;reg@example.org;Norrköpings kommun;"
                               "Hemtjänst Väst\n").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "E-postadressen tillhör någon i en enhet som du inte är chef för." in page
    db.session.rollback()
    client.post(location)
    assert db.session.query(Participant).filter_by(email="reg@example.org").one().name == "Regionens"


def test_someone_elses_upload_is_not_found(client, make, setup):
    make.set_login(client, setup["admin"])
    location = _upload(client, GOOD).headers["Location"]
    make.set_login(client, setup["boss"])
    assert client.get(location).status_code == 404
    assert client.post(location).status_code == 404
    # A skills upload id does not work on the staff import either (and the other way round).
    upload_id = location.rsplit("/", 1)[1]
    make.set_login(client, setup["admin"])
    assert client.get(f"/skills/import/{upload_id}").status_code == 404


def test_upload_form_errors(client, make, setup):
    make.set_login(client, setup["admin"])
    response = client.post("/organisations/participants/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Välj en fil." in response.get_data(as_text=True)
    response = _upload(client, "x", name="personal.xlsx")
    assert response.status_code == 422
    assert "Välj en CSV-fil." in response.get_data(as_text=True)


def test_excel_cp1252_file_is_read(client, make, setup):
    make.set_login(client, setup["admin"])
    text = "namn;e-post;organisation;enhet\nÅke Ärlig;ake@example.org;Region Östergötland;Avdelning 12\n"
    location = _upload(client, text, encoding="cp1252").headers["Location"]
    client.post(location)
    assert db.session.query(Participant).filter_by(email="ake@example.org").one().name == "Åke Ärlig"


def test_export_can_be_imported_again(client, make, setup):
    make.set_login(client, setup["admin"])
    exported = client.get("/organisations/participants?format=csv").get_data()
    location = _upload(client, exported.decode("utf-8")).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "kan importeras" in page
    db.session.rollback()
    assert client.post(location).status_code == 302
    assert db.session.query(Participant).count() == 1


def test_confirm_needs_the_csrf_token(client, make, setup, app, monkeypatch):
    import re

    make.set_login(client, setup["admin"])
    location = _upload(client, GOOD).headers["Location"]
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get(location).get_data(as_text=True)
    confirm_form = page.split('<div class="actions">')[-1]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', confirm_form).group(1)
    assert client.post(location).status_code == 400
    assert db.session.query(Participant).count() == 1
    db.session.rollback()
    assert client.post(location, data={"csrf_token": token}).status_code == 302
    assert db.session.query(Participant).count() == 2


def test_preview_warns_about_formulas_but_still_imports_the_rows(client, make, setup):
    """A cell a spreadsheet would run as a formula is flagged in the preview, in Swedish or English."""
    make.set_login(client, setup["admin"])
    text = (
        "namn;e-post;yrke;organisation;enhet;aktiv\n"
        '=HYPERLINK("http://x");formel@example.org;;Norrköpings kommun;Hemtjänst Väst;ja\n'
        "@SUM(A1);summa@example.org;;Norrköpings kommun;Hemtjänst Väst;ja\n"
        "Vanlig Person;vanlig@example.org;;Norrköpings kommun;Hemtjänst Väst;ja\n"
    )
    location = _upload(client, text).headers["Location"]
    page = html.unescape(client.get(location).get_data(as_text=True))
    assert ("Varning: Värdet i kolumnen ”namn” börjar med = + - eller @ och kan köras som en formel i ett "
            "kalkylprogram: ”=HYPERLINK(\"http://x\")”.") in page
    assert "kalkylprogram: ”@SUM(A1)”." in page
    assert "2 rader har värden som ett kalkylprogram kan köra som formler" in page
    assert page.count("Varning:") == 2  # the ordinary row has none
    assert "rader har fel" not in page
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    english = html.unescape(client.get(location).get_data(as_text=True))
    assert ("Warning: The value in the column “namn” begins with = + - or @ and may run as a formula in a "
            "spreadsheet: “@SUM(A1)”.") in english
    db.session.rollback()
    assert client.post(location).status_code == 302  # a warning does not refuse the row
    names = set(db.session.execute(select(Participant.name)).scalars())
    assert {'=HYPERLINK("http://x")', "@SUM(A1)", "Vanlig Person"} <= names
