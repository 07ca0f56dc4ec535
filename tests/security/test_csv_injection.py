"""CSV exports never hand a spreadsheet a formula: text that begins with = + - @ (or a tab or
carriage return) is written with a leading quote; numbers stay numbers."""
import csv
import io
from decimal import Decimal

from sqlalchemy import select

from ktc.csvutil import Figure, csv_response
from ktc.extensions import db
from ktc.feedback.models import Feedback
from ktc.network.stats import rebuild_session_stats
from tests.network import scenario

HYPERLINK = '=HYPERLINK("http://x")'


def _rows(response):
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))


def test_text_cells_are_neutralised_and_numbers_are_not(app):
    cells = [HYPERLINK, "+1", "@SUM(A1)", "-2+3", "\tcmd", "\r=1", "Anna Ek", "a=b", -0.5, -3, Decimal("-1.25"),
             Figure("-0,50"), None]
    with app.test_request_context():
        response = csv_response("x.csv", ["=header", "Name"], [cells])
    header, row = _rows(response)
    assert header == ["'=header", "Name"]
    assert row == ["'" + HYPERLINK, "'+1", "'@SUM(A1)", "'-2+3", "'\tcmd", "'\r=1", "Anna Ek", "a=b", "-0.5", "-3",
                   "-1.25", "-0,50", ""]


def test_staff_list_export_prefixes_formulas(client, make, login_as):
    unit = make.unit(name="@SUM(A1)", organisation_=make.organisation(name="-Kommun"))
    make.participant(unit, name=HYPERLINK, email="-2+3@example.org", profession=make.profession(name="+1"))
    login_as(make.user("admin"))
    db.session.commit()
    rows = _rows(client.get("/organisations/participants?format=csv"))
    assert rows[1] == ["'" + HYPERLINK, "'-2+3@example.org", "'+1", "'-Kommun", "'@SUM(A1)", "ja"]
    organisations = _rows(client.get("/organisations/?format=csv"))
    assert organisations[1][0] == "'-Kommun" and organisations[1][3] == "'@SUM(A1)"


def test_skill_matrix_export_prefixes_formulas(client, make, login_as):
    skill = make.skill(code="HLR", name="@HLR vuxen")
    unit = make.unit()
    make.participant(unit, name="+46 Anna", profession=make.profession(name="=Sköterska", skills=[skill]))
    login_as(make.manager(unit))
    db.session.commit()
    rows = _rows(client.get("/records/matrix?format=csv"))
    assert rows[0][3] == "HLR @HLR vuxen"  # the code comes first: already safe
    assert rows[1][:3] == ["'+46 Anna", unit.name, "'=Sköterska"]


def test_network_export_keeps_a_negative_gain_a_number_and_quotes_a_formula_label(client, make, login_as):
    built = scenario.build()
    built["stations"][0].name = "=cmd|' /C calc'!A0"
    for feedback in db.session.execute(select(Feedback)).scalars():
        if feedback.confidence_before == 2:
            feedback.confidence_after = 1  # station A: confidence 2 -> 1, a gain of -1
    rebuild_session_stats()
    login_as(make.user("network"))
    db.session.commit()
    rows = _rows(client.get("/network/export.csv", query_string={"date_from": "2024-03-01", "date_to": "2024-03-31"}))
    station = next(r for r in rows if r[0] == "Station" and "calc" in r[1])
    assert station[1] == "'=cmd|' /C calc'!A0 (KTC Östra)"
    assert station[13] == "-1,00"
