"""Pieces of pages rendered once and kept (ktc/web.py: the layout's parts, a session's seats, status
badges): what a user sees must still follow the figures, their language, whether they are signed in
and where the app is mounted, whatever page or user came before in the same process."""
import re

from ktc.extensions import db


def _seats(page):
    return " ".join(re.search(r'<span class="seats__long">(.*?)</span>', page, re.S).group(1).split())


def _badges(page):
    return re.findall(r'<span class="badge badge--(\w+)">([^<]*)</span>', page)


def test_seats_and_badges_follow_the_figures_and_the_language(client, login_as, make):
    unit = make.unit(make.organisation("municipal"))
    manager = make.manager(unit)
    anna, bo = make.participant(unit, name="Anna Ek"), make.participant(unit, name="Bo Berg")
    session = make.session(capacity=1)
    db.session.commit()
    login_as(manager)
    page = client.get("/bookings/team", query_string={"session": session.id}).get_data(as_text=True)
    assert _seats(page) == "Bokade: 0 från kommunen, 0 från regionen · 1 av 1 lediga"

    first = client.post("/bookings/team", data={"session": session.id, "participant_ids": [anna.id]}, follow_redirects=True)
    page = first.get_data(as_text=True)
    assert _seats(page) == "Bokade: 1 från kommunen, 0 från regionen · 0 av 1 lediga"
    assert ("confirmed", "Bekräftad") in _badges(page)

    second = client.post("/bookings/team", data={"session": session.id, "participant_ids": [bo.id]}, follow_redirects=True)
    page = second.get_data(as_text=True)
    assert ("waitlisted", "Reservlista") in _badges(page) and ("confirmed", "Bekräftad") not in _badges(page)

    client.post("/lang", data={"lang": "en", "next": "/"})
    page = client.get("/bookings/team", query_string={"session": session.id}).get_data(as_text=True)
    assert _seats(page) == "Booked: 1 from the municipality, 0 from the region · 0 of 1 free"
    assert ("confirmed", "Confirmed") in _badges(page) and ("waitlisted", "Waiting list") in _badges(page)

    client.post("/lang", data={"lang": "sv", "next": "/"})
    page = client.get("/bookings/team", query_string={"session": session.id}).get_data(as_text=True)
    assert _seats(page) == "Bokade: 1 från kommunen, 0 från regionen · 0 av 1 lediga"
    assert ("waitlisted", "Reservlista") in _badges(page)


def test_the_layout_follows_sign_in_language_and_mount_point(client, login_as, make):
    manager = make.manager(make.unit(make.organisation("municipal")))
    db.session.commit()
    anonymous = client.get("/login").get_data(as_text=True)
    assert "Hoppa till innehållet" in anonymous and "js/pickers.js" not in anonymous

    login_as(manager)
    signed_in = client.get("/sessions/").get_data(as_text=True)
    assert "Hoppa till innehållet" in signed_in
    assert re.search(r'src="/static/js/pickers\.js" defer\s+data-no-results="Inga träffar"', signed_in)
    mounted = client.get("/login", base_url="http://ktc.example/ktc").get_data(as_text=True)
    assert '<a class="brand" href="/ktc/">' in mounted and 'src="/ktc/static/js/menu.js"' in mounted
    assert '<a class="brand" href="/">' in client.get("/sessions/").get_data(as_text=True)

    client.post("/lang", data={"lang": "en", "next": "/"})
    english = client.get("/sessions/").get_data(as_text=True)
    assert "Skip to content" in english and 'data-no-results="No matches"' in english
    assert "Hoppa till innehållet" not in english

    client.post("/logout")
    anonymous = client.get("/login").get_data(as_text=True)
    assert "js/pickers.js" not in anonymous
