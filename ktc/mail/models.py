"""The outbox: every message is written in the same transaction as the change that causes it."""
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class OutboxMessage(db.Model):
    """One message to one recipient: either rendered when queued, or an event the sender renders.

    An event (a booking, cancellation or change told to a participant) is a small row: its kind,
    recipient, booking, the invitation's METHOD and SEQUENCE decided at the moment of the change,
    and the reason given. The sender renders it at each attempt (ktc/mail/render.py) and keeps the
    text it sent in `subject`, `body_text`, `body_html` and `ics`.
    """

    __tablename__ = "outbox"
    # One index for every list by status: the sender's due messages (pending, by next attempt), the
    # stale claims (sending), the failures, the purge of sent ones. Every booking writes a row here
    # and every send changes its status, so each index more is kept up to date on both.
    __table_args__ = (Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # (kind, object, sequence) made into one string: the same message is never queued twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    # Set for an event: the booking it is about (no foreign key: mail does not hold bookings back).
    booking_id: Mapped[int | None] = mapped_column()
    # The SEQUENCE the invitation carries, spent on the booking when the event was queued.
    ics_sequence: Mapped[int | None] = mapped_column()
    # The reason given for a cancellation, as it was at the moment of the event.
    detail: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    ics: Mapped[str | None] = mapped_column(Text)
    ics_method: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    claimed_at = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)

    @property
    def is_event(self):
        return self.booking_id is not None
