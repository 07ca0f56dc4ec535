"""Demo data for the learning network's meetings: members, a held meeting with minutes, a coming one.

Called by ktc.demo.operations.load_demo; adds only what is missing, so a second run changes nothing.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ktc.extensions import db
from ktc.meetings import operations as ops
from ktc.meetings.models import Meeting, MeetingAction, MeetingInvitation, MemberContact, NetworkMember

TZ = "Europe/Stockholm"
# (organisation, description, contact name, contact e-mail, status)
MEMBERS = [
    ("Region Jönköpings län", "Sjukhus och vårdcentraler i länet", "Anders Berg",
     "anders.berg@rjl.example", "member"),
    ("Värnamo kommun", "Hemtjänst, särskilt boende och LSS", "Sofia Lund", "sofia.lund@varnamo.example", "member"),
    ("Hälsohögskolan i Jönköping", "Utbildar sjuksköterskor och undersköterskor", "Maja Ek",
     "maja.ek@hhj.example", "member"),
    ("Omsorgsbolaget Trygg AB", "Privat hemtjänst i Jönköping", "Nils Åberg", "nils.aberg@trygg.example",
     "pending"),
]
HELD = "Lärandenätverkets höstträff"
COMING = "Lärandenätverkets vårträff"


def _at(day, hour):
    return datetime.combine(day, time(hour, 0), tzinfo=ZoneInfo(TZ))


def load_meetings(demo, make_user, coordinator):
    """Members with contacts (`make_user(email, name)` gives a network user), one held and one coming meeting."""
    coordinator.network_coordinator = True
    for name, description, contact_name, email, status in MEMBERS:
        member = db.session.execute(select(NetworkMember).where(NetworkMember.name == name)).scalar_one_or_none()
        if member is None:
            member = NetworkMember(name=name, description=description, status=status, requested_at=demo.now,
                                   approved_at=demo.now if status == "member" else None)
            member.contacts.append(MemberContact(user=make_user(email, contact_name)))
            db.session.add(member)
    db.session.flush()
    if db.session.execute(select(Meeting.id).where(Meeting.title == HELD)).first() is None:
        day = demo.anchor - timedelta(days=45)
        held = Meeting(title=HELD, start_at=_at(day, 13), end_at=_at(day, 15), place="KTC Ryhov, Jönköping",
                       agenda="1. Vad träningen visar\n2. Erfarenheter från medlemmarna\n3. Beslut och åtgärder",
                       minutes="Deltagarna vill ha kortare teori vid kateterstationen och mer tid för praktik.\n"
                               "Blandade grupper uppskattas: fler kommunala platser på vårdcentralernas tillfällen.",
                       created_by_id=coordinator.id, created_at=demo.now, updated_at=demo.now)
        db.session.add(held)
        db.session.flush()
        for member, user in ops.member_contacts():
            db.session.add(MeetingInvitation(meeting=held, user=user, member=member, ical_sequence=1,
                                             answer="accepted", attended=True))
        station = next(iter(demo.stations.values()), None)
        if station is not None:
            db.session.add(MeetingAction(meeting=held, text="Korta teorin till tio minuter", owner_kind="station",
                                         station=station, due_on=demo.anchor + timedelta(days=30),
                                         created_at=demo.now))
        db.session.add(MeetingAction(meeting=held, text="Bjuda in hemtjänstens chefer till nästa träff",
                                     owner_kind="person", owner_name="Lena Holmqvist", created_at=demo.now))
    if db.session.execute(select(Meeting.id).where(Meeting.title == COMING)).first() is None:
        day = demo.anchor + timedelta(days=40)
        ops.plan_meeting(coordinator, title=COMING, start_at=_at(day, 13), end_at=_at(day, 15),
                         place="KTC Värnamo", online_url="https://meet.example.se/larandenatverket",
                         agenda=ops.draft_agenda(), now=demo.now)
    db.session.flush()
