"""Session reports on the network page: newest first, at most REPORTS_LIMIT, dated in the filters'
time zone, every field without the names of that session's people (issue 18, mutation testing of
`_reports` in `ktc/network/operations.py`)."""
from datetime import date

from ktc.feedback.operations import save_session_report
from ktc.network import operations
from ktc.network.operations import make_filters, summary


def _session_with_report(make, station, start, person, texts):
    instructor = make.user("instructor", name=f"Instruktör {person}")
    session = make.completed_session(station, start=start, instructors=[instructor])
    make.booking(session, make.participant(name=person), status="attended")
    save_session_report(instructor, session, *texts)
    return session


def _reports(f):
    return [{**r, "station": r["station"].split(" (")[0]} for r in summary(f)["reports"]]


def test_reports_newest_first_limited_dated_locally_and_without_their_sessions_names(make, monkeypatch):
    akut, badd = make.plain_station(name="Akut"), make.plain_station(name="Bädd")
    # Two sessions at the same moment at two stations (the later made first in the list), one earlier.
    midnight = make.local(2024, 5, 6, 0, 30)  # 23:30 on 5 May in London
    _session_with_report(make, akut, midnight, "Pelle Ek",
                         ("Pelle Ek hjälpte", "Pelle borde öva", "Ek tappade handskarna"))
    _session_with_report(make, badd, midnight, "Stina Berg",
                         ("Stina visade", "Mer tid för Stina Berg", "Pelle Ek saknades inte"))
    _session_with_report(make, akut, make.local(2024, 5, 3, 9), "Olle Ny", ("Bra", "Olle Ny kom sent", ""))

    london = make_filters(date(2024, 5, 1), date(2024, 5, 31), tz="Europe/London")
    assert _reports(london) == [
        {"date": "2024-05-05", "station": "Bädd", "what_worked": "[…] visade",
         "what_to_change": "Mer tid för […]", "equipment_problems": "Pelle Ek saknades inte"},
        {"date": "2024-05-05", "station": "Akut", "what_worked": "[…] hjälpte",
         "what_to_change": "[…] borde öva", "equipment_problems": "[…] tappade handskarna"},
        {"date": "2024-05-03", "station": "Akut", "what_worked": "Bra",
         "what_to_change": "[…] kom sent", "equipment_problems": ""},
    ]
    monkeypatch.setattr(operations, "REPORTS_LIMIT", 2)
    assert [r["station"] for r in _reports(london)] == ["Bädd", "Akut"]
    stockholm = make_filters(date(2024, 5, 1), date(2024, 5, 31))
    assert [r["date"] for r in _reports(stockholm)] == ["2024-05-06", "2024-05-06"]
