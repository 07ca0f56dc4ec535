"""Centres (training sites with opening hours and closed days) and their stations."""
from sqlalchemy import Date, ForeignKey, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

station_skills = db.Table(
    "station_skills",
    db.Column("station_id", db.ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    db.Column("skill_id", db.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class Centre(db.Model):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    # Seats held for each side in a new session, unless its station says otherwise.
    default_min_per_side: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    opening_hours = relationship(
        "OpeningHours", back_populates="centre", cascade="all, delete-orphan", order_by="OpeningHours.weekday"
    )
    closed_days = relationship(
        "ClosedDay", back_populates="centre", cascade="all, delete-orphan", order_by="ClosedDay.day"
    )
    stations = relationship("Station", back_populates="centre", order_by="Station.name")


class OpeningHours(db.Model):
    """Opening hours for one weekday (0 = Monday) in the centre's local time."""

    __tablename__ = "opening_hours"
    __table_args__ = (UniqueConstraint("centre_id", "weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column()
    opens = mapped_column(Time, nullable=False)
    closes = mapped_column(Time, nullable=False)

    centre = relationship("Centre", back_populates="opening_hours")


class ClosedDay(db.Model):
    __tablename__ = "closed_days"
    __table_args__ = (UniqueConstraint("centre_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))
    day = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(String(200), default="")

    centre = relationship("Centre", back_populates="closed_days")


class Station(db.Model):
    __tablename__ = "stations"
    __table_args__ = (UniqueConstraint("centre_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    default_capacity: Mapped[int] = mapped_column(default=8)
    default_duration_minutes: Mapped[int] = mapped_column(default=120)
    changeover_minutes: Mapped[int] = mapped_column(default=15)
    # Seats held for each side in a new session; None: the centre's default.
    default_min_per_side: Mapped[int | None] = mapped_column()
    equipment_notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    centre = relationship("Centre", back_populates="stations")
    skills = relationship("Skill", secondary=station_skills, order_by="Skill.code")

    @property
    def min_per_side_default(self):
        """Seats held per side for a new session here: the station's own default, else the centre's,
        never more than half the default capacity."""
        held = self.default_min_per_side
        if held is None:
            held = self.centre.default_min_per_side or 0
        return min(held, self.default_capacity // 2)
