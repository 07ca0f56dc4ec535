"""Secret-token calendar subscription feeds."""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

FEED_KINDS = ("participant", "unit", "station", "instructor")


class CalendarFeed(db.Model):
    """One feed URL of one user. Only the token's SHA-256 is stored; renewing replaces it.

    The token itself is an HMAC of the row's random nonce under SECRET_KEY, so the owner's
    page can show the link again while the database alone never reveals it.
    """

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    # "<kind>:<owner>:<object>": one feed per user and object, even when two requests race.
    scope_key: Mapped[str] = mapped_column(String(80), unique=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    renewed_at = mapped_column(UTCDateTime)

    owner = relationship("User", foreign_keys=[owner_user_id])
    participant = relationship("Participant")
    unit = relationship("Unit")
    station = relationship("Station")
    instructor = relationship("User", foreign_keys=[instructor_id])


class CalendarStamp(db.Model):
    """How often what a group of feeds shows has changed: the stored validator of the feeds.

    One row per scope: "participant:<id>", "unit:<id>", "station:<id>", "instructor:<user id>",
    "owner:<user id>" (the owner's language),
    and "all" for rare changes that reach every feed (a station, centre, skill or instructor
    renamed). `ktc.calendar.stamps` raises the version in the transaction that makes the change,
    so a feed's ETag is known from these rows without building the feed.
    """

    __tablename__ = "calendar_stamps"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


REPLY_OUTCOMES = ("applied", "unchanged", "rejected")


class CalendarReply(db.Model):
    """One e-mail read from the organizer's mailbox (iTIP REPLY or COUNTER over iMIP), and what it did.

    The unique `message_key` (the Message-ID, or a hash of the message without one) is written in
    the same transaction as the booking change the reply causes: two scheduler processes, or a
    process restarted after a crash, can read a message twice but only one of them can commit it.
    """

    __tablename__ = "calendar_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(255), unique=True)
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sender: Mapped[str] = mapped_column(String(254), default="")
    method: Mapped[str] = mapped_column(String(20), default="")
    partstat: Mapped[str] = mapped_column(String(20), default="")
    event_uid: Mapped[str] = mapped_column(String(255), default="")
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    # applied (the booking changed), unchanged (read, nothing to do) or rejected (set aside).
    outcome: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(40), default="")

    booking = relationship("Booking")


class MailboxLease(db.Model):
    """Who reads the organizer's mailbox now: one process at a time, until `expires_at`.

    IMAP MOVE is not exclusive between sessions on every server (Dovecot's maildir copies a message
    that two sessions move at the same moment into the target twice), so two scheduler processes
    never read the mailbox together: the reader takes this lease with a conditional UPDATE, renews
    it with every message and gives it back at the end; a lease left by a stopped process expires.
    """

    __tablename__ = "mailbox_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80))
    expires_at = mapped_column(UTCDateTime)
