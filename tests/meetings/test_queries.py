"""The meeting page takes the same number of statements however many contacts are invited."""
from datetime import timedelta


from ktc.extensions import db
from ktc.meetings import operations as ops
from ktc.meetings.models import MemberContact, NetworkMember
from tests.queries import statements




def test_the_meeting_page_loads_the_invited_at_once(client, login_as, make, network):
    start = make.future(20, hour=13)
    meeting = ops.plan_meeting(network["coordinator"], title="Träff", start_at=start, end_at=start + timedelta(hours=2))
    url = f"/network/meetings/{meeting.id}"
    db.session.commit()
    login_as(network["coordinator"])
    with statements() as few:
        assert client.get(url).status_code == 200
    for i in range(8):
        member = NetworkMember(name=f"Kommun {i}", status="member")
        member.contacts.append(MemberContact(user=make.user("network", name=f"Kontakt {i}")))
        db.session.add(member)
    db.session.flush()
    ops.invite_members(meeting)
    db.session.commit()
    with statements() as many:
        page = client.get(url)
    assert page.status_code == 200 and "Kontakt 7" in page.get_data(as_text=True)
    assert len(many) == len(few)


def test_the_minutes_load_every_actions_owner_at_once(client, login_as, make, network):
    start = make.future(20, hour=13)
    meeting = ops.plan_meeting(network["coordinator"], title="Träff", start_at=start, end_at=start + timedelta(hours=2))
    ops.add_action(meeting, text="Första", owner_kind="station", station=make.station(name="Station 0"))
    url = f"/network/meetings/{meeting.id}/minutes"
    db.session.commit()
    login_as(network["contacts"][0])
    with statements() as few:
        assert client.get(url).status_code == 200
    for i in range(1, 6):
        ops.add_action(meeting, text=f"Åtgärd {i}", owner_kind="station", station=make.station(name=f"Station {i}"))
    db.session.commit()
    with statements() as many:
        page = client.get(url)
    assert page.status_code == 200 and "Station 5" in page.get_data(as_text=True)
    assert len(many) == len(few)
