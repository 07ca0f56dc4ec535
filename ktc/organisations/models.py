"""Organisations (municipalities and regions), their units and the staff in them."""
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.accounts.models import unit_managers
from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

SIDES = ("municipal", "regional")


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    side: Mapped[str] = mapped_column(String(10))
    org_number: Mapped[str | None] = mapped_column(String(20))
    # Off when the organisation's people must sign in through its identity provider (ktc/sso).
    local_passwords: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    units = relationship("Unit", back_populates="organisation", order_by="Unit.name")


class Unit(db.Model):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    organisation = relationship("Organisation", back_populates="units")
    managers = relationship("User", secondary=unit_managers, back_populates="units")
    participants = relationship("Participant", back_populates="unit", order_by="Participant.name")

    @property
    def side(self):
        return self.organisation.side


class Participant(db.Model):
    """A member of staff who trains at the centre; may or may not have a login."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed: the staff search walks names in order and stops at its first 20 matches.
    name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("professions.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    anonymised_at = mapped_column(UTCDateTime)
    # How sessions reach the participant's calendar: "invitations" (e-mailed iMIP), "subscription"
    # (the feed only; e-mails carry no calendar part) or "both" (ktc.calendar.operations).
    calendar_delivery: Mapped[str] = mapped_column(String(12), default="invitations")
    # Minutes before the start for a VALARM reminder in invitations and the feed; None: no reminder.
    calendar_reminder_minutes: Mapped[int | None] = mapped_column()

    unit = relationship("Unit", back_populates="participants")
    profession = relationship("Profession")

    @property
    def side(self):
        """The side of the person's organisation (a booking reads it as a column of the person's row:
        ktc.bookings.operations.PersonToBook)."""
        return self.unit.organisation.side


class CsvUpload(db.Model):
    """An uploaded CSV file kept server-side between its preview and the confirmed import.

    The confirm step re-reads and re-checks this stored copy, so nothing the browser sends back
    after the preview is trusted.
    """

    __tablename__ = "csv_uploads"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[str] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
