"""The digest e-mail to every active member of the learning network."""
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ktc.accounts.models import User
from ktc.extensions import db
from ktc.i18n import fmt_date, known_locale
from ktc.mail.outbox import enqueue
from ktc.network.operations import digest_content
from ktc.urls import external_url


def send_digest(digest):
    """Queue the digest for every active network member, each in their own language."""
    members = db.session.execute(
        select(User).where(User.role == "network", User.active.is_(True)).order_by(User.id)
    ).scalars().all()
    content = digest_content(digest)
    link = external_url("network.digest", digest_id=digest.id)
    queued = []
    for user in members:
        locale = known_locale(user.locale)
        with force_locale(locale):
            context = {"digest": digest, "content": content, "link": link, "user": user}
            subject = _("Learning network digest %(start)s–%(end)s",
                        start=fmt_date(digest.period_start), end=fmt_date(digest.period_end))
            text = render_template("network/emails/digest.txt", **context)
            html = render_template("network/emails/digest.html", **context)
        message = enqueue("network_digest", digest.id, user.email, subject, text, html)
        if message is not None:
            queued.append(message)
    return queued
