"""Agendas drafted from the data (suppressed as the network view), actions carried over, station changes followed."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from ktc.extensions import db
from ktc.meetings import operations as ops
from ktc.meetings.models import Meeting
from ktc.network.stats import rebuild_session_stats
from ktc.records.models import SkillRecord
from tests.network import scenario


def meeting_at(make, coordinator, day, **kw):
    start = make.local(*day, 13)
    return ops.plan_meeting(coordinator, title=kw.pop("title", f"Träff {day}"), start_at=start,
                            end_at=start + timedelta(hours=2), **kw)


@pytest.fixture
def spring(make, network):
    """The network scenario (March 2024), a meeting on 1 February and the next on 10 April."""
    data = scenario.build()
    earlier = meeting_at(make, network["coordinator"], (2024, 2, 1))
    meeting = meeting_at(make, network["coordinator"], (2024, 4, 10))
    return data, earlier, meeting


def test_the_draft_agenda_never_shows_a_group_under_five_responses(make, network, spring):
    data, _earlier, meeting = spring
    text = ops.draft_agenda(meeting, now=make.local(2024, 4, 5))
    assert "Genomförda träningstillfällen: 3" in text
    # Station B has four answers, a low average and its own words: none of it reaches the agenda.
    assert "Sårvård Ö" not in text
    assert "hemligt" not in text.lower() and "liten" not in text.lower()
    # Station A's five answers give the themes.
    assert "samarbete (5)" in text and "hemsjukvården (5)" in text


@pytest.mark.parametrize("records, shown", [(5, True), (4, False)])
def test_a_station_with_many_needs_practice_stands_out_only_from_five_sign_offs(make, network, spring, records, shown):
    _data, _earlier, meeting = spring
    skill = make.skill(code="INS", name="Insulin")
    station = make.station(scenario.make.centre(), skills=[skill], name="Insulinstationen")
    session = make.completed_session(station, start=make.local(2024, 3, 20, 9))
    for _ in range(records):
        booking = scenario.attended(session, "municipal")
        db.session.add(SkillRecord(participant_id=booking.participant_id, skill_id=skill.id, session_id=session.id,
                                   outcome="needs_practice"))
    db.session.flush()
    rebuild_session_stats()
    text = ops.draft_agenda(meeting, now=make.local(2024, 4, 5))
    assert ("Insulinstationen" in text) is shown


def test_open_actions_are_carried_to_the_next_agenda_until_closed(make, network, spring):
    data, earlier, meeting = spring
    station_a = data["stations"][0]
    action = ops.add_action(earlier, text="Prova kortare genomgång", owner_kind="station", station=station_a,
                            due_on=make.local(2024, 3, 1).date())
    assert "Prova kortare genomgång" in ops.draft_agenda(meeting, now=make.local(2024, 4, 5))
    # Not on the agenda of the meeting where it was decided.
    assert "Prova kortare genomgång" not in ops.draft_agenda(earlier, now=make.local(2024, 1, 25))
    ops.close_action(action, "Genomgången är kortad")
    assert "Prova kortare genomgång" not in ops.draft_agenda(meeting, now=make.local(2024, 4, 5))


def test_an_action_needs_an_owner(make, network, spring):
    _data, earlier, _meeting = spring
    with pytest.raises(ops.InvalidAction):
        ops.add_action(earlier, text="Något", owner_kind="station")
    with pytest.raises(ops.InvalidAction):
        ops.add_action(earlier, text="Något", owner_kind="person", owner_name=" ")


def test_a_station_change_is_marked_and_followed_before_and_after(client, login_as, make, network, spring):
    data, earlier, _meeting = spring
    station_a, station_b = data["stations"]
    action = ops.add_action(earlier, text="Kortare teori", owner_kind="station", station=station_a)
    change = ops.close_action(action, "Gjort", station_change="Teorin kortad till 10 minuter",
                              now=make.local(2024, 4, 1))
    before, after = ops.before_after(change, now=make.local(2024, 6, 1))
    assert before["responses"] == 5 and before["overall"] == 4.4
    assert after["suppressed"] and after["overall"] is None
    # A station with four answers shows no figures before a change either.
    action_b = ops.add_action(earlier, text="Nytt material", owner_kind="station", station=station_b)
    change_b = ops.close_action(action_b, "", station_change="Ny docka", now=make.local(2024, 4, 1))
    before_b, _after_b = ops.before_after(change_b, now=make.local(2024, 6, 1))
    assert before_b["suppressed"] and before_b["overall"] is None and before_b["responses"] is None
    db.session.commit()

    login_as(network["contacts"][0])
    page = client.get("/network/meetings/changes").get_data(as_text=True)
    assert "Teorin kortad till 10 minuter" in page and "1 februari 2024" in page
    assert "1,75" not in page


def test_minutes_with_an_action_through_the_pages_and_exports(client, login_as, make, network, spring):
    data, earlier, meeting = spring
    db.session.commit()
    login_as(network["coordinator"])
    assert client.post(f"/network/meetings/{earlier.id}/minutes",
                       data={"minutes": "Beslut: kortare teori vid kateterstationen."}).status_code == 302
    response = client.post(f"/network/meetings/{earlier.id}/actions", data={
        "action-text": "Kortare teori", "action-owner_kind": "station",
        "action-station": str(data["stations"][0].id), "action-due_on": "2024-03-15"})
    assert response.status_code == 302
    exported = client.get(f"/network/meetings/{earlier.id}/minutes.json").get_json()
    assert exported["minutes"].startswith("Beslut") and exported["actions"][0]["owner"] == "Kateter"
    assert exported["actions"][0]["due_on"] == "2024-03-15" and exported["actions"][0]["done_at"] is None
    printed = client.get(f"/network/meetings/{earlier.id}/minutes/print").get_data(as_text=True)
    assert "Kortare teori" in printed
    # The next meeting's minutes page carries the open action.
    assert "Kortare teori" in client.get(f"/network/meetings/{meeting.id}/minutes").get_data(as_text=True)
    # The draft agenda is offered on the edit page, for the coordinator to change.
    edit = client.get(f"/network/meetings/{meeting.id}/edit?draft=1").get_data(as_text=True)
    assert "Kortare teori" in edit


def test_a_member_contact_reads_minutes_but_never_writes_nor_sees_participants(client, login_as, make, network, spring):
    data, earlier, _meeting = spring
    participant_names = [b.participant.name for s in data["sessions"] for b in s.bookings]
    earlier.minutes = "Beslut"
    db.session.commit()
    login_as(network["contacts"][0])
    page = client.get(f"/network/meetings/{earlier.id}/minutes").get_data(as_text=True)
    assert "Beslut" in page and not any(name in page for name in participant_names)
    assert client.post(f"/network/meetings/{earlier.id}/minutes", data={"minutes": "Ändrat"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Meeting, earlier.id).minutes == "Beslut"


def test_the_station_page_and_the_network_view_show_the_change(client, login_as, make, network, spring):
    data, earlier, _meeting = spring
    station_a, station_b = data["stations"]
    action = ops.add_action(earlier, text="Kortare teori", owner_kind="station", station=station_a)
    ops.close_action(action, "Gjort", station_change="Teorin kortad", now=make.local(2024, 4, 1))
    admin = make.user("admin")
    db.session.commit()
    login_as(admin)
    page = client.get(f"/stations/{station_a.id}/edit").get_data(as_text=True)
    assert "Ändrad efter nätverksträffen 1 februari 2024" in page and "Teorin kortad" in page
    assert "Teorin kortad" not in client.get(f"/stations/{station_b.id}/edit").get_data(as_text=True)
    login_as(network["contacts"][0])
    view = client.get("/network/?from=2024-01-01&to=2024-06-30").get_data(as_text=True)
    assert "Ändrad efter nätverksträffen 1 februari 2024" in view


def _edit_station(station, **changes):
    from ktc.stations.operations import update_station

    values = {"skill_ids": [s.id for s in station.skills], "description": station.description,
              "default_capacity": station.default_capacity, "default_duration_minutes": station.default_duration_minutes,
              "changeover_minutes": station.changeover_minutes, "equipment_notes": station.equipment_notes,
              "active": station.active, "default_min_per_side": station.default_min_per_side, **changes}
    update_station(station, station.name, **values)


def test_an_edit_to_a_station_with_an_open_action_is_noticed_as_a_change(client, login_as, make, network, spring):
    from ktc.meetings.models import StationChange

    data, earlier, meeting = spring
    station_a, station_b = data["stations"]
    hygiene = make.skill(code="HYG1", name="Handhygien")
    action = ops.add_action(earlier, text="Lägg till handhygien", owner_kind="station", station=station_a)
    _edit_station(station_a, skill_ids=[*(s.id for s in station_a.skills), hygiene.id],
                  description="Kort teori, mer träning")
    # No open action on station B; a new name on A is not what the network follows.
    _edit_station(station_b, description="Ny beskrivning")
    db.session.flush()
    (change,) = db.session.execute(select(StationChange)).scalars().all()
    assert (change.station_id, change.meeting_id, change.action_id) == (station_a.id, earlier.id, action.id)
    assert change.detected and change.fields == "description,skills" and change.description == "+HYG1 Handhygien"
    # Closed, the action no longer collects edits.
    ops.close_action(action, "Gjort")
    _edit_station(station_a, description="Ännu en ändring")
    db.session.commit()
    assert len(db.session.execute(select(StationChange)).scalars().all()) == 1

    admin = make.user("admin")
    db.session.commit()
    login_as(admin)
    page = client.get(f"/stations/{station_a.id}/edit").get_data(as_text=True)
    assert "Ändrad efter nätverksträffen 1 februari 2024" in page
    assert "Upptäckt när stationen ändrades: beskrivning, färdigheter som tränas (+HYG1 Handhygien)" in page
    printed = client.get(f"/network/meetings/{earlier.id}/minutes/print").get_data(as_text=True)
    assert "+HYG1 Handhygien" in printed
    exported = client.get(f"/network/meetings/{earlier.id}/minutes.json").get_json()
    assert exported["station_changes"] == [{
        "station": station_a.name, "changed_at": change.changed_at.isoformat(), "description": "+HYG1 Handhygien",
        "detected": True, "fields": ["description", "skills"]}]


def test_a_new_refresh_interval_for_a_skill_with_an_open_action_marks_the_stations_that_train_it(make, network,
                                                                                                  spring):
    from ktc.meetings.models import StationChange
    from ktc.skills.operations import update_skill

    data, earlier, _meeting = spring
    station_a, station_b = data["stations"]
    skill = station_a.skills[0]
    ops.add_action(earlier, text="Förnya oftare", owner_kind="skill", skill=skill)
    update_skill(skill, skill.code, skill.name, skill.category, skill.description, refresh_months=12,
                 active=skill.active)
    db.session.flush()
    changes = db.session.execute(select(StationChange)).scalars().all()
    trained_at = {s.id for s in (station_a, station_b) if skill in s.skills}
    assert trained_at and {c.station_id for c in changes} == trained_at
    assert all(c.fields == "refresh" and c.description.startswith(f"{skill.code}: ") and
               c.description.endswith("→ 12") for c in changes)


def test_a_new_session_series_at_a_station_with_an_open_action_is_a_change_after_its_meeting(make, network, spring):
    from datetime import date, time

    from ktc.meetings.models import StationChange
    from ktc.sessions.operations import create_series

    data, earlier, _meeting = spring
    station_a, _station_b = data["stations"]
    action = ops.add_action(earlier, text="Fler tillfällen för nattpersonal", owner_kind="station", station=station_a)
    create_series(make.user("admin"), station_a, date(2030, 9, 3), time(9), time(11), 3, title="Kvällsgrupp",
                  skip_conflicts=True)
    db.session.flush()
    (change,) = db.session.execute(select(StationChange)).scalars().all()
    assert (change.station_id, change.action_id, change.fields) == (station_a.id, action.id, "series")
    assert change.description == "Kvällsgrupp: 2030-09-03 ×3"
