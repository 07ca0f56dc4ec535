"""The managers' expiry digest: who in their units is expiring or expired, with sessions to book."""
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ktc.accounts.models import User
from ktc.database import savepoint, utcnow
from ktc.extensions import db
from ktc.i18n import known_locale, to_local
from ktc.mail.outbox import enqueue, is_queued
from ktc.notices.operations import record_events
from ktc.paths.operations import late_steps
from ktc.records import operations as ops
from ktc.records.labels import template_labels
from ktc.urls import external_url

DIGEST_KIND = "expiry_digest"


def period_key(now, period=None):
    """The digest period `now` falls in, in the app's time zone: ISO week (2026-W05) or month (2026-02)."""
    period = period or current_app.config["KTC_EXPIRY_DIGEST_PERIOD"]
    local = to_local(now, current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if period == "monthly":
        return f"{local.year}-{local.month:02d}"
    if period != "weekly":
        raise ValueError(f"unknown KTC_EXPIRY_DIGEST_PERIOD {period!r}")
    year, week, _day = local.isocalendar()
    return f"{year}-W{week:02d}"


def digest_content(manager, now):
    """(items, matrix) for a manager: every expiring or expired required skill in their units."""
    matrix = ops.build_matrix([u.id for u in manager.units], now=now)
    return ops.expiry_items(matrix), matrix


def late_by_unit(manager, today):
    """[(unit, team progress link, late steps)] for the manager's units that have late path steps."""
    groups = {}
    for late in late_steps([u.id for u in manager.units], today):
        groups.setdefault(late.participant.unit, []).append(late)
    return [(unit, external_url("paths.team", unit_id=unit.id), steps) for unit, steps in groups.items()]


def queue_digest(manager, now=None):
    """Queue this period's digest for one manager, unless already queued or there is nothing to say.

    The outbox key holds the period, so the manager gets one digest per period however often
    the job runs. Returns the outbox row or None.
    """
    now = now or utcnow()
    period = period_key(now)
    key = f"{manager.id}:{period}"
    if is_queued(DIGEST_KIND, key, manager.email):
        return None
    items, matrix = digest_content(manager, now)
    late = late_by_unit(manager, matrix.today)
    if not items and not late:
        return None
    skills_with_items = {skill.id for _p, skill, _c in items}
    upcoming = []
    for (skill_id, side), sessions in sorted(matrix.upcoming.items()):
        if skill_id in skills_with_items:
            skill = next(s for s in matrix.skills if s.id == skill_id)
            links = [(s, ops.session_url(s.id, external=True)) for s in sessions]
            upcoming.append((skill, side, links))
    context = {
        **template_labels(),
        "manager": manager,
        "items": items,
        "expired": [i for i in items if i[2].status == "expired"],
        "expiring": [i for i in items if i[2].status == "expiring"],
        "upcoming": upcoming,
        "window_days": matrix.window_days,
        "today": matrix.today,
        "matrix_url": external_url("records.matrix"),
        "show_sides": len({side for _s, side, _l in upcoming}) > 1,
        "late": late,
    }
    locale = known_locale(manager.locale)
    with force_locale(locale):
        if items:
            subject = _("Skills to refresh in your units: %(count)s", count=len(items))
        else:
            subject = _("Late learning path steps in your units: %(count)s",
                        count=sum(len(steps) for _u, _l, steps in late))
        text = render_template("records/emails/expiry_digest.txt", **context)
        html = render_template("records/emails/expiry_digest.html", **context)
    message = enqueue(DIGEST_KIND, key, manager.email, subject, text, html)
    if message is not None and items:
        people = dict.fromkeys(person for person, _skill, _cell in items)
        record_events(manager, "skills_expiring", f"digest:{period}", [(person, None) for person in people])
    return message


def send_expiry_digests(now=None):
    """Queue the period's digest for every active manager; each in a savepoint of its own.

    If another run queued the same digest meanwhile, the outbox's unique key refuses the
    second one and only that manager's savepoint is rolled back.
    """
    now = now or utcnow()
    managers = db.session.execute(
        select(User).where(User.role == "manager", User.active.is_(True)).options(selectinload(User.units))
        .order_by(User.id)
    ).scalars().all()
    queued = []
    for manager in managers:
        if not manager.units:
            continue
        try:
            with savepoint():
                message = queue_digest(manager, now)
                db.session.flush()
        except IntegrityError:
            continue
        if message is not None:
            queued.append(message)
    return queued
