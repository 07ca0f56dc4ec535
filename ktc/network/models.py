"""Digests for the learning network, kept in the app."""
from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db


class NetworkDigest(db.Model):
    __tablename__ = "network_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start = mapped_column(UTCDateTime, nullable=False)
    period_end = mapped_column(UTCDateTime, nullable=False, unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    content_json: Mapped[str] = mapped_column(Text, default="{}")
