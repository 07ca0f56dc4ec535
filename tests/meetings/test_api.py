"""The meetings API: network users and admins read members, meetings, minutes and actions; nobody else."""
from datetime import timedelta

import pytest

from ktc.accounts.operations import issue_api_token
from ktc.extensions import db
from ktc.meetings import operations as ops


@pytest.fixture
def planned(make, network):
    start = make.future(20, hour=13)
    meeting = ops.plan_meeting(network["coordinator"], title="Träff", start_at=start, end_at=start + timedelta(hours=2))
    ops.add_action(meeting, text="Ny docka", owner_kind="person", owner_name="Cecilia")
    db.session.commit()
    return meeting


def get(client, user, url):
    token = issue_api_token(user)
    db.session.commit()
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("url", ["/api/v1/network/members", "/api/v1/network/meetings", "/api/v1/network/meetings/{id}",
                                 "/api/v1/network/actions"])
def test_only_network_users_and_admins_read_the_meetings(client, make, network, planned, url):
    url = url.format(id=planned.id)
    assert get(client, network["contacts"][0], url).status_code == 200
    assert get(client, make.user("admin"), url).status_code == 200
    for role in ("manager", "instructor", "participant"):
        assert get(client, make.user(role), url).status_code == 403


def test_a_meeting_shows_its_invitations_and_actions(client, network, planned):
    body = get(client, network["contacts"][0], f"/api/v1/network/meetings/{planned.id}").get_json()
    assert {i["answer"] for i in body["invitations"]} == {"needs-action"}
    assert body["actions"][0]["owner"] == "Cecilia" and body["actions"][0]["done_at"] is None
    actions = get(client, network["contacts"][0], "/api/v1/network/actions").get_json()["items"]
    assert [a["text"] for a in actions] == ["Ny docka"]
