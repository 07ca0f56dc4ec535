"""The learning network's members (organisations and their contact people) and its meetings."""
import uuid

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

MEMBER_STATUSES = ("pending", "member", "left")
MEETING_STATUSES = ("planned", "cancelled")
# The answers a calendar (or the contact in KTC) gives to an invitation (RFC 5545 PARTSTAT).
ANSWERS = ("needs-action", "accepted", "declined", "tentative")


def new_uid():
    return uuid.uuid4().hex


class NetworkMember(db.Model):
    """An organisation in the learning network: any interested activity, not only KTC's own."""

    __tablename__ = "network_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    # Set when the member is also an organisation whose staff train at KTC.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    approved_at = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    left_at = mapped_column(UTCDateTime)

    organisation = relationship("Organisation")
    contacts = relationship("MemberContact", back_populates="member", cascade="all, delete-orphan",
                            order_by="MemberContact.id")


class MemberContact(db.Model):
    """A contact person (a user with the network role) of one member organisation."""

    __tablename__ = "network_member_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("network_members.id", ondelete="CASCADE"), index=True)
    # A person speaks for one organisation in the network.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)

    member = relationship("NetworkMember", back_populates="contacts")
    user = relationship("User")


class Meeting(db.Model):
    """A meeting (träff) of the learning network; one calendar event for every invited contact."""

    __tablename__ = "network_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    title: Mapped[str] = mapped_column(String(200))
    start_at = mapped_column(UTCDateTime, nullable=False, index=True)
    end_at = mapped_column(UTCDateTime, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    place: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="planned")
    # The calendar SEQUENCE of the event: raised by every change that attendees must see.
    sequence: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    cancelled_at = mapped_column(UTCDateTime)

    invitations = relationship("MeetingInvitation", back_populates="meeting", cascade="all, delete-orphan",
                               order_by="MeetingInvitation.id")


class MeetingInvitation(db.Model):
    """One contact invited to one meeting: the last SEQUENCE sent, their answer, their attendance."""

    __tablename__ = "network_meeting_invitations"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("network_meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("network_members.id", ondelete="SET NULL"))
    ical_sequence: Mapped[int] = mapped_column(default=0)
    answer: Mapped[str] = mapped_column(String(12), default="needs-action")
    answered_at = mapped_column(UTCDateTime)
    attended: Mapped[bool | None] = mapped_column()
    cancelled_at = mapped_column(UTCDateTime)

    meeting = relationship("Meeting", back_populates="invitations")
    user = relationship("User")
    member = relationship("NetworkMember")


class MeetingFeed(db.Model):
    """A user's secret link to the network's meetings feed; only the token's hash is kept."""

    __tablename__ = "network_meeting_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user = relationship("User")


ACTION_OWNERS = ("station", "skill", "organisation", "person")


class MeetingAction(db.Model):
    """A decision turned into an action: an owner, a due date; open until closed, carried to the next agenda."""

    __tablename__ = "network_meeting_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("network_meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    owner_kind: Mapped[str] = mapped_column(String(12), default="person")
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("network_members.id", ondelete="SET NULL"))
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    due_on = mapped_column(Date)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    done_at = mapped_column(UTCDateTime)
    done_note: Mapped[str] = mapped_column(String(500), default="")

    meeting = relationship("Meeting")
    station = relationship("Station")
    skill = relationship("Skill")
    member = relationship("NetworkMember")

    @property
    def owner_label(self):
        if self.owner_kind == "station" and self.station is not None:
            return self.station.name
        if self.owner_kind == "skill" and self.skill is not None:
            return f"{self.skill.code} {self.skill.name}"
        if self.owner_kind == "organisation" and self.member is not None:
            return self.member.name
        return self.owner_name


class StationChange(db.Model):
    """A change to a station made after a network meeting, so its effect can be followed in the figures."""

    __tablename__ = "network_station_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("network_meetings.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("network_meeting_actions.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(500))
    changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Noticed when the station (or a skill it trains) was edited while a network action on it was
    # open (ktc.meetings.station_watch), rather than typed when the action was closed.
    detected: Mapped[bool] = mapped_column(default=False)
    # What was edited, comma-separated: description, equipment, duration, skills, refresh, series.
    fields: Mapped[str] = mapped_column(String(100), default="")

    station = relationship("Station")
    meeting = relationship("Meeting")
    action = relationship("MeetingAction")
