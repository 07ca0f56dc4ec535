"""Users, roles, API tokens and the shared login-failure count."""
import secrets

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

ROLES = ("admin", "instructor", "manager", "participant", "network")

unit_managers = db.Table(
    "unit_managers",
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    db.Column("unit_id", db.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


def new_login_nonce():
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # A network user who coordinates the learning network (members, meetings, minutes).
    network_coordinator: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Rotated on logout, password change and deactivation so that old session cookies stop working.
    login_nonce: Mapped[str] = mapped_column(String(40), default=new_login_nonce)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), unique=True
    )
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_login_at = mapped_column(UTCDateTime)

    participant = relationship("Participant", foreign_keys=[participant_id])
    units = relationship("Unit", secondary=unit_managers, back_populates="managers", order_by="Unit.name")

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.login_nonce}"

    def rotate_login_nonce(self):
        self.login_nonce = new_login_nonce()

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at = mapped_column(UTCDateTime)

    user = relationship("User")


class LoginFailure(db.Model):
    """One failed login; counted in the database so that every worker shares the throttle."""

    __tablename__ = "login_failures"
    # The throttle counts one address's failures in the window (the account's among them).
    __table_args__ = (Index("ix_login_failures_remote_addr_at", "remote_addr", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
