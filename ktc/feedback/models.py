"""Feedback from attendees (one per attended booking) and the instructor's session report."""
from sqlalchemy import ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db


class Feedback(db.Model):
    """A feedback request and, once answered, the answers; reached through a one-use link."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), unique=True
    )
    # Kept so that statistics survive when the booking's personal data is erased.
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    side: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    responded_at = mapped_column(UTCDateTime, index=True)
    overall: Mapped[int | None] = mapped_column(SmallInteger)
    relevance: Mapped[int | None] = mapped_column(SmallInteger)
    confidence_before: Mapped[int | None] = mapped_column(SmallInteger)
    confidence_after: Mapped[int | None] = mapped_column(SmallInteger)
    learned_other_side: Mapped[int | None] = mapped_column(SmallInteger)
    take_back: Mapped[str] = mapped_column(Text, default="")
    improve: Mapped[str] = mapped_column(Text, default="")

    session = relationship("Session")
    booking = relationship("Booking")


class SessionReport(db.Model):
    __tablename__ = "session_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    what_worked: Mapped[str] = mapped_column(Text, default="")
    what_to_change: Mapped[str] = mapped_column(Text, default="")
    equipment_problems: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    session = relationship("Session")
    author = relationship("User")
