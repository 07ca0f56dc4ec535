"""An instructor's "My sessions": today first, then what is coming, then the last two weeks; with titles."""
from datetime import timedelta

from ktc.database import utcnow
from ktc.extensions import db


def test_my_sessions_show_today_first_with_titles(client, login_as, make):
    instructor = make.user("instructor")
    station = make.station(name="HLR-station")
    now = utcnow()
    make.session(station, start=make.future(3), instructors=[instructor], title="Kommande HLR")
    make.session(make.station(), start=now - timedelta(days=3), instructors=[instructor], title="Förra veckans")
    make.session(make.station(), start=now + timedelta(minutes=1), hours=1, instructors=[instructor],
                 title="Dagens pass")
    make.session(make.station(), start=make.future(4), instructors=[make.user("instructor")], title="Någon annans")
    db.session.commit()
    login_as(instructor)
    page = client.get("/sessions/mine").get_data(as_text=True)
    today, coming, earlier = page.index("Dagens pass"), page.index("Kommande HLR"), page.index("Förra veckans")
    assert page.index("Idag") < today < page.index("Kommande<") < coming < earlier
    assert "Någon annans" not in page
