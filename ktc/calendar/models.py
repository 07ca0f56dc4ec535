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
    and "all" for rare changes that reach every feed (a station, centre, skill or instructor
    renamed). `ktc.calendar.stamps` raises the version in the transaction that makes the change,
    so a feed's ETag is known from these rows without building the feed.
    """

    __tablename__ = "calendar_stamps"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
