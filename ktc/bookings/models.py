"""Bookings: a participant in a session, with who did what and when."""
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

BOOKING_STATUSES = ("confirmed", "waitlisted", "cancelled", "attended", "no_show")
# Statuses that hold a seat (the session's per-side counters count exactly these).
SEAT_STATUSES = ("confirmed", "attended", "no_show")
ACTIVE_STATUSES = ("confirmed", "waitlisted", "attended", "no_show")


class Booking(db.Model):
    __tablename__ = "bookings"
    # One row per person and session: a person is never booked twice into one session. Its unique
    # index also serves every lookup of a session's bookings (session_id leads it), so session_id
    # has no index of its own: every booking written would keep one more up to date.
    # The two indexes below hold every column their lists need, so the table's wide rows are not read:
    # a unit's bookings (team bookings, the skill matrix) by person, and the waiting lists by status,
    # counted per side (the booking request counts who waits for the session on each side).
    __table_args__ = (
        UniqueConstraint("session_id", "participant_id"),
        Index("ix_bookings_participant_session_status", "participant_id", "session_id", "status"),
        Index("ix_bookings_status_session_side", "status", "session_id", "side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    # The participant's side when booked; the seat counters are kept per this side.
    side: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    booked_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Orders the waitlist: first come, first promoted (renewed if the person is re-added).
    queued_at = mapped_column(UTCDateTime)
    confirmed_at = mapped_column(UTCDateTime)
    cancelled_at = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    attendance_at = mapped_column(UTCDateTime)
    attendance_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # iCalendar SEQUENCE of the last invitation sent for this booking.
    ical_sequence: Mapped[int] = mapped_column(default=0)
    # Changes to what calendar feeds show of this booking (its status): counted and dated by
    # ktc.calendar.stamps, so a feed event's SEQUENCE and DTSTAMP rise with them.
    feed_revision: Mapped[int] = mapped_column(default=0)
    feed_revised_at = mapped_column(UTCDateTime)
    # The participant's answer from their calendar (ktc.calendar.replies): accepted, tentative or
    # declined_late (declined after the cut-off: the seat is kept), and when it came. An answer
    # older than `booked_at` belongs to an earlier booking of the same row and is not shown.
    reply_status: Mapped[str | None] = mapped_column(String(16))
    replied_at = mapped_column(UTCDateTime)

    session = relationship("Session", back_populates="bookings")
    participant = relationship("Participant")
    booked_by = relationship("User", foreign_keys=[booked_by_id])
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id])

    @property
    def calendar_reply(self):
        """The calendar answer that belongs to this booking as it is now (None if none)."""
        if self.reply_status is None or self.replied_at is None or self.status == "cancelled":
            return None
        if self.booked_at is not None and self.replied_at < self.booked_at:
            return None
        return self.reply_status
