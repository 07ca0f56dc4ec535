"""The session page shows the seats each side can book now, not every free seat."""
import re

import pytest

from ktc.extensions import db


@pytest.fixture
def held_seats(make):
    """Capacity 4, two seats held for each side until 72 hours before; one municipal seat taken.

    Three seats are free, but the municipality may take only capacity − held = 2, so 1 more;
    the region may take its 2 held seats."""
    kommun = make.organisation("municipal", name="Gnosjö kommun")
    unit = make.unit(kommun, name="Hemtjänst Gnosjö")
    manager = make.manager(unit, name="Maja Chef")
    sar = make.skill(code="SÅR", name="Sårvård")
    session = make.session(make.station(skills=[sar]), start=make.future(20), capacity=4, min_per_side=2,
                           skills=[sar])
    make.booking(session, make.participant(make.unit(kommun, name="Annan enhet")))
    admin = make.user("admin")
    db.session.commit()
    return type("H", (), locals())


def _seat_table(body):
    table = body.split('id="seats-h"', 1)[1].split("</table>", 1)[0]
    headers = re.findall(r'<th scope="col">([^<]*)</th>', table)
    cells = re.findall(r"<td>([^<]*)</td>", table)
    return dict(zip(headers, cells))


def test_a_manager_sees_the_seats_their_side_can_book(client, login_as, held_seats):
    login_as(held_seats.manager)
    seats = _seat_table(client.get(f"/sessions/{held_seats.session.id}").get_data(as_text=True))
    assert seats["Lediga för kommunen"] == "1"
    assert "Lediga för regionen" not in seats
    assert "3" not in seats.values()


def test_an_admin_sees_the_seats_of_both_sides(client, login_as, held_seats):
    login_as(held_seats.admin)
    seats = _seat_table(client.get(f"/sessions/{held_seats.session.id}").get_data(as_text=True))
    assert seats["Lediga för kommunen"] == "1"
    assert seats["Lediga för regionen"] == "2"
