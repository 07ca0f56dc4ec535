"""Team events: one row per manager, event and person, written with the change that caused it."""
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

TEAM_EVENT_KINDS = ("session_moved", "session_cancelled", "promoted", "left_waiting", "no_show", "skills_expiring")


class TeamEvent(db.Model):
    __tablename__ = "team_events"
    # `cause` names the event (kind, object, moment): the same event is never recorded twice for
    # one manager and person, however often a job or a request repeats it.
    __table_args__ = (
        UniqueConstraint("user_id", "cause", "participant_id"),
        Index("ix_team_events_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    cause: Mapped[str] = mapped_column(String(150))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at = mapped_column(UTCDateTime)

    participant = relationship("Participant")
    session = relationship("Session")
    booking = relationship("Booking")
