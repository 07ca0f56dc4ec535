"""Training sessions (träningstillfällen) and the series they may belong to."""
import uuid
from typing import NamedTuple

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, Time, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

SESSION_STATUSES = ("scheduled", "cancelled", "completed")


class Place(NamedTuple):
    """Where a session is, as a booking's answer shows it: the station's name and the centre's time zone."""

    station: str
    timezone: str | None


class SeatCounts:
    """The seat counters read as a whole: the ORM's Session and the session a booking reads as one Core row
    (ktc.bookings.operations.SessionToBook) both have `capacity`, `seats_municipal` and `seats_regional`,
    and both answer the seat rule (ktc.bookings.seats) the same three requests, each in its own way:
    `take_counters` (what a claim returned), `counters_moved` (read them again) and `lock_and_reread`."""

    @property
    def seats_taken(self):
        return self.seats_municipal + self.seats_regional

    @property
    def seats_free(self):
        return max(self.capacity - self.seats_taken, 0)

    def seats_for(self, side):
        return self.seats_municipal if side == "municipal" else self.seats_regional


session_instructors = db.Table(
    "session_instructors",
    db.Column("session_id", db.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

session_skills = db.Table(
    "session_skills",
    db.Column("session_id", db.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    db.Column("skill_id", db.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


def new_uid():
    return uuid.uuid4().hex


class Series(db.Model):
    """A weekly recurring plan; its sessions are real rows that can be edited one by one."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    first_date = mapped_column(Date, nullable=False)
    interval_weeks: Mapped[int] = mapped_column(default=1)
    occurrences: Mapped[int] = mapped_column()
    start_time = mapped_column(Time, nullable=False)  # centre local time
    end_time = mapped_column(Time, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    station = relationship("Station")
    sessions = relationship("Session", back_populates="series", order_by="Session.start_at")


class Session(SeatCounts, db.Model):
    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("min_per_side >= 0 AND 2 * min_per_side <= capacity", name="quota_fits"),
        CheckConstraint("seats_municipal >= 0 AND seats_regional >= 0", name="seats_not_negative"),
        CheckConstraint("seats_municipal + seats_regional <= capacity", name="seats_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable calendar identity: never regenerated, so every invitation updates the same event.
    uid: Mapped[str] = mapped_column(String(64), unique=True, default=new_uid)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    start_at = mapped_column(UTCDateTime, nullable=False, index=True)
    end_at = mapped_column(UTCDateTime, nullable=False)
    capacity: Mapped[int] = mapped_column()
    min_per_side: Mapped[int] = mapped_column(default=0)
    release_before_hours: Mapped[int] = mapped_column(default=72)
    status: Mapped[str] = mapped_column(String(12), default="scheduled", index=True)
    # iCalendar SEQUENCE: raised on every change attendees must see; never goes down.
    sequence: Mapped[int] = mapped_column(default=0)
    # Changes feeds show that do not raise `sequence` (title, notes, status, skills), counted by
    # ktc.calendar.stamps: a feed event's SEQUENCE is sequence + feed_revision (+ its bookings').
    feed_revision: Mapped[int] = mapped_column(default=0)
    # Confirmed seats per side, claimed with a conditional UPDATE so capacity holds under races.
    seats_municipal: Mapped[int] = mapped_column(default=0)
    seats_regional: Mapped[int] = mapped_column(default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    cancelled_at = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    completed_at = mapped_column(UTCDateTime)
    # Planned from training needs: until then only the people of the units whose needs the session
    # covers (needs.covered_session_id) can be booked (ktc.bookings.seats.reservations).
    priority_until = mapped_column(UTCDateTime)

    station = relationship("Station")
    series = relationship("Series", back_populates="sessions")
    instructors = relationship("User", secondary=session_instructors, order_by="User.name")
    skills = relationship("Skill", secondary=session_skills, order_by="Skill.code")
    bookings = relationship("Booking", back_populates="session", order_by="Booking.id")

    @property
    def place(self):
        """The station's name and the centre's time zone (a booking reads them as columns of its session's
        row: ktc.bookings.operations.SessionToBook)."""
        return Place(self.station.name, self.station.centre.timezone)

    def take_counters(self, municipal, regional):
        """The counters the database just returned, without a reload or a dirty mark."""
        set_committed_value(self, "seats_municipal", municipal)
        set_committed_value(self, "seats_regional", regional)

    def counters_moved(self):
        """The counters changed under us: read them again when asked."""
        db.session.expire(self, ["seats_municipal", "seats_regional"])

    def lock_and_reread(self):
        """Lock the session's row for the rest of the transaction and read it again."""
        db.session.execute(
            select(Session).where(Session.id == self.id).with_for_update().execution_options(populate_existing=True)
        ).scalar_one()
