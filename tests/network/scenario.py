"""A small, known data set for the network tests."""
from ktc.network.stats import rebuild_session_stats
from ktc.records.models import SkillRecord
from tests import factories as make


def attended(session, side, **participant_kw):
    return make.booking(session, make.participant(side=side, **participant_kw), status="attended")


def demonstrated(booking, skill):
    record = SkillRecord(participant_id=booking.participant_id, skill_id=skill.id, session_id=booking.session_id,
                         outcome="demonstrated")
    make.db.session.add(record)
    make.db.session.flush()
    return record


def build():
    """Station A (5 responses) and station B (4 responses, overall average 1.75) in March 2024.

    A: two sessions, one with both sides (3 municipal + 1 regional), one municipal only (1).
    B: one session with both sides (2 + 2). A scheduled session with bookings is not counted.
    """
    centre = make.centre(name="KTC Östra")
    skill_a = make.skill(code="KAT", name="Kateterisering")
    skill_b = make.skill(code="SÅR", name="Sårvård")
    station_a = make.station(centre, skills=[skill_a], name="Kateter")
    station_b = make.station(centre, skills=[skill_b], name="Sårvård Ö")

    a1 = make.completed_session(station_a, start=make.local(2024, 3, 5, 9))
    a2 = make.completed_session(station_a, start=make.local(2024, 3, 12, 9))
    b1 = make.completed_session(station_b, start=make.local(2024, 3, 19, 13))
    planned = make.session(station_a, start=make.local(2024, 3, 26, 9))
    make.booking(planned, make.participant(side="municipal"))
    make.booking(planned, make.participant(side="regional"))

    a1_bookings = [attended(a1, "municipal") for _ in range(3)] + [attended(a1, "regional")]
    a2_bookings = [attended(a2, "municipal")]
    b1_bookings = [attended(b1, "municipal"), attended(b1, "municipal"),
                   attended(b1, "regional"), attended(b1, "regional")]
    make.booking(a2, make.participant(side="regional"), status="no_show")

    for booking in a1_bookings[:2] + a2_bookings:
        demonstrated(booking, skill_a)
    demonstrated(b1_bookings[0], skill_b)

    # Station A: 5 answers, overall 4,4,5,5,4 = 4.4; confidence 2 -> 4 (gain 2).
    for booking, overall in zip(a1_bookings + a2_bookings, (4, 4, 5, 5, 4)):
        make.feedback(a1 if booking.session_id == a1.id else a2, booking, overall=overall,
                      confidence_before=2, confidence_after=4, take_back="Bättre samarbete med hemsjukvården")
    # Station B: 4 answers, overall 1,2,2,2 = 1.75: must never be shown.
    for booking, overall in zip(b1_bookings, (1, 2, 2, 2)):
        make.feedback(b1, booking, overall=overall, confidence_before=1, confidence_after=2,
                      take_back="Hemligt svar från liten grupp")
    # The rows above are written directly, not through the operations that keep the figures.
    rebuild_session_stats()
    return {
        "centre": centre, "skills": (skill_a, skill_b), "stations": (station_a, station_b),
        "sessions": (a1, a2, b1), "planned": planned,
    }
