"""The network's aggregates: correct figures, small groups suppressed everywhere."""
import csv
import io
import json
from datetime import date

from sqlalchemy import event

from ktc.network.operations import make_filters, summary
from tests.network import scenario

MARCH = {"date_from": "2024-03-01", "date_to": "2024-03-31"}


def _march():
    return make_filters(date(2024, 3, 1), date(2024, 3, 31))


def _by(rows, label_start):
    return next(r for r in rows if r["label"].startswith(label_start))


def test_figures_per_station_side_and_period(db, make):
    scenario.build()
    data = summary(_march())

    totals = data["totals"]
    assert totals["sessions"] == 3
    assert totals["sessions_both_sides"] == 2
    assert totals["share_both_sides"] == 66.7
    assert (totals["participants_municipal"], totals["participants_regional"]) == (6, 3)
    assert totals["skills_demonstrated"] == 4
    assert totals["responses"] == 9
    assert totals["overall"] == round(29 / 9, 2)

    a = _by(data["by_station"], "Kateter")
    assert (a["sessions"], a["share_both_sides"], a["responses"]) == (2, 50.0, 5)
    assert (a["overall"], a["confidence_before"], a["confidence_after"], a["confidence_gain"]) == (4.4, 2, 4, 2)

    assert [r["key"] for r in data["by_period"]][:1] == ["2024-03"]
    assert len(data["by_period"]) == 1  # a one-month selection has one period row

    sides = {r["key"]: r for r in data["by_side"]}
    assert sides["municipal"]["responses"] == 6 and sides["municipal"]["overall"] == round(20 / 6, 2)
    assert sides["regional"]["suppressed"] and sides["regional"]["overall"] is None
    assert _by(data["by_skill"], "KAT")["skills_demonstrated"] == 3


def test_groups_under_five_responses_are_suppressed(db, make):
    scenario.build()
    data = summary(_march())
    b = _by(data["by_station"], "Sårvård")
    assert b["suppressed"] is True
    assert b["responses"] is None and b["overall"] is None and b["confidence_gain"] is None
    assert b["sessions"] == 1  # activity figures are not built on responses and stay visible
    assert _by(data["by_skill"], "SÅR")["suppressed"] is True
    assert "1.75" not in json.dumps(data)
    # Free text only for stations with at least five responses.
    assert [g["station"] for g in data["free_text"]] == ["Kateter (KTC Östra)"]
    assert "Hemligt svar" not in json.dumps(data, ensure_ascii=False)


def test_side_filter_and_station_filter(db, make):
    built = scenario.build()
    regional = summary(make_filters(date(2024, 3, 1), date(2024, 3, 31), side="regional"))
    assert regional["totals"]["participants_municipal"] == 0
    assert regional["totals"]["participants_regional"] == 3
    assert regional["totals"]["sessions"] == 2  # the sessions the region attended
    assert regional["totals"]["suppressed"] is True  # only 3 regional responses

    station_b = summary(make_filters(date(2024, 3, 1), date(2024, 3, 31), station_id=built["stations"][1].id))
    assert station_b["totals"]["sessions"] == 1
    assert station_b["totals"]["suppressed"] is True


def test_query_count_does_not_grow_with_sessions(app, db, make):
    def count_queries(fn):
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    scenario.build()
    few = count_queries(lambda: summary(_march()))
    station = make.plain_station()
    for day in range(1, 20):
        session = make.completed_session(station, start=make.local(2024, 3, day, 15))
        booking = scenario.attended(session, "municipal")
        make.feedback(session, booking, take_back="Nytt arbetssätt")
    many = count_queries(lambda: summary(_march()))
    assert many == few


def _page(client, login_as, make, role="network", **args):
    login_as(make.user(role))
    make.db.session.commit()
    return client.get("/network/", query_string={**MARCH, **args})


def test_page_hides_small_groups_and_shows_charts_with_tables(client, db, make, login_as):
    scenario.build()
    response = _page(client, login_as, make)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "4,40" in page  # station A's overall average, Swedish decimals
    assert "1,75" not in page and "1.75" not in page
    assert "färre än 5 svar" in page
    assert "Hemligt svar" not in page
    assert "Bättre samarbete med hemsjukvården" in page
    assert page.count("<svg") == 2
    assert page.count('role="img"') == 2
    assert "style=" not in page
    for table_id in ("table-period", "table-station", "table-centre", "table-skill", "table-side"):
        assert f'id="{table_id}"' in page
    # Each chart is followed by its data table.
    assert page.index("chart-period-title") < page.index('id="table-period"') < page.index("chart-station-title")
    assert page.index("chart-station-title") < page.index('id="table-station"')


def test_csv_export_opens_in_a_spreadsheet(client, db, make, login_as):
    scenario.build()
    login_as(make.user("network"))
    make.db.session.commit()
    response = client.get("/network/export.csv", query_string=MARCH)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Gruppering", "Grupp", "Tillfällen"]
    assert all(len(r) == len(rows[0]) for r in rows)
    station_rows = {r[1]: r for r in rows if r[0] == "Station"}
    assert station_rows["Kateter (KTC Östra)"][9] == "4,40"
    small = station_rows["Sårvård Ö (KTC Östra)"]
    assert small[8:15] == [""] * 7 and small[15] == "färre än 5 svar"
    assert "1,75" not in text


def test_json_export_and_api_have_the_same_suppression(client, db, make, login_as):
    from ktc.accounts.operations import issue_api_token

    scenario.build()
    member = make.user("network")
    token = issue_api_token(member, "test")
    login_as(member)
    make.db.session.commit()

    exported = json.loads(client.get("/network/export.json", query_string=MARCH).get_data(as_text=True))
    api = client.get("/api/v1/network/summary?from=2024-03-01&to=2024-03-31",
                     headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert api.get_json()["totals"] == exported["totals"]
    for data in (exported, api.get_json()):
        assert _by(data["by_station"], "Sårvård")["overall"] is None
        assert "1.75" not in json.dumps(data)
    bad = client.get("/api/v1/network/summary?from=2024-13-01", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_field"
    assert bad.get_json()["error"]["field"] == "from"


def test_only_network_members_and_admins_see_the_network(client, db, make, login_as):
    from ktc.accounts.operations import issue_api_token

    scenario.build()
    for role, status in (("network", 200), ("admin", 200), ("manager", 403), ("instructor", 403),
                         ("participant", 403)):
        login_as(make.user(role))
        make.db.session.commit()
        for url in ("/network/", "/network/export.csv", "/network/export.json", "/network/digests"):
            assert client.get(url).status_code == status, (role, url)
    manager_token = issue_api_token(make.user("manager"), "t")
    make.db.session.commit()
    response = client.get("/api/v1/network/summary", headers={"Authorization": f"Bearer {manager_token}"})
    assert response.status_code == 403
    anonymous = type(client)(client.application)
    assert anonymous.get("/network/").status_code == 302


def test_period_is_in_local_days_across_daylight_saving(db):
    # 31 March 2024 is 23 hours long in Stockholm; the period still ends on that day.
    f = make_filters(date(2024, 3, 1), date(2024, 3, 31))
    assert (f.first_day, f.last_day) == (date(2024, 3, 1), date(2024, 3, 31))
    assert f.end.isoformat() == "2024-03-31T22:00:00+00:00"


def test_invalid_period_is_reported_on_the_field(client, db, make, login_as):
    response = _page(client, login_as, make, date_from="2024-04-01", date_to="2024-03-01")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "error-summary" in page and "Slutdatumet får inte vara före startdatumet." in page
