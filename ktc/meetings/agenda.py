"""A draft agenda from the data since the last meeting, which the coordinator then edits.

Every figure comes from ktc.network.operations.summary, the one place where feedback built on
fewer than MIN_RESPONSES (k = 5) responses is suppressed and free text is scrubbed of names: a
station with four answers can never reach an agenda. The sign-off rate ("needs practice") is
counted here only for stations with at least MIN_RESPONSES sign-offs, by the same k.
"""
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from ktc.database import utcnow
from ktc.extensions import db
from ktc.feedback.anonymise import REDACTED
from ktc.i18n import fmt_date, fmt_number
from ktc.network.operations import MIN_RESPONSES, Filters, summary
from ktc.records.models import SkillRecord
from ktc.sessions.models import Session

LOOKBACK = timedelta(days=90)
# A station stands out when a feedback average is this far below the network's.
BELOW_BY = 0.5
NEEDS_PRACTICE_SHARE = 0.25
THEMES = 8
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
_STOP = frozenset("""
och att det som för med den till har inte var kan ska man från eller utan också mycket mera
bara blev blir hade efter över under alla andra sina våra mina dina hela kunna skulle vill
this that with from have were will would could should more about there their what when which
""".split())


@dataclass
class Draft:
    start: object
    end: object
    totals: dict
    stations: list = field(default_factory=list)  # (label, [reasons])
    themes: list = field(default_factory=list)  # (word, count)
    actions: list = field(default_factory=list)  # open actions carried over


def period_for(meeting, previous, now=None):
    """From the previous meeting (or LOOKBACK) to this meeting or now, whichever is first."""
    end = min(meeting.start_at, now or utcnow()) if meeting is not None else (now or utcnow())
    start = previous.start_at if previous is not None and previous.start_at < end else end - LOOKBACK
    return start, end


def _needs_practice(f):
    """{station_id: share of sign-offs that were 'needs practice'} for stations with at least k sign-offs."""
    needs = func.sum(case((SkillRecord.outcome == "needs_practice", 1), else_=0))
    rows = db.session.execute(
        select(Session.station_id, func.count(SkillRecord.id), needs)
        .join(Session, Session.id == SkillRecord.session_id)
        .where(Session.status == "completed", Session.start_at >= f.start, Session.start_at < f.end)
        .group_by(Session.station_id)
    ).all()
    return {sid: (n or 0) / total for sid, total, n in rows if total >= MIN_RESPONSES}


def _themes(free_text):
    counts = Counter()
    for group in free_text:
        for name in ("take_back", "improve"):
            for text in group.get(name, ()):
                words = {w.lower() for w in _WORD.findall(text.replace(REDACTED, " "))}
                counts.update(w for w in words if w not in _STOP)
    return [(word, n) for word, n in counts.most_common(THEMES) if n >= 2]


def build_draft(start, end, open_actions=()):
    """The figures, standing-out stations and themes of the period (all suppressed and scrubbed)."""
    f = Filters(start=start, end=end)
    data = summary(f)
    totals = data["totals"]
    needs = _needs_practice(f)
    stations = []
    for row in data["by_station"]:
        reasons = []
        if not row["suppressed"]:
            for name, label in (("confidence_gain", _("low confidence gain")),
                                ("learned_other_side", _("little learned about the other side"))):
                if row[name] is not None and totals[name] is not None and row[name] <= totals[name] - BELOW_BY:
                    reasons.append(_("%(what)s (%(value)s; the network %(network)s)", what=label,
                                     value=fmt_number(row[name]), network=fmt_number(totals[name])))
        share = needs.get(row["key"])
        if share is not None and share >= NEEDS_PRACTICE_SHARE:
            reasons.append(_("many sign-offs \"needs practice\" (%(pct)s %%)", pct=round(100 * share)))
        if reasons:
            stations.append((row["label"], reasons))
    return Draft(start=start, end=end, totals=totals, stations=stations, themes=_themes(data["free_text"]),
                 actions=list(open_actions))


def render_text(draft):
    """The draft as plain text for the agenda field, in the current language."""
    t = draft.totals
    lines = [_("Agenda drafted from the data %(start)s – %(end)s", start=fmt_date(draft.start),
               end=fmt_date(draft.end - timedelta(microseconds=1))), ""]
    lines.append("1. " + _("What the training shows"))
    lines.append("   - " + _("Sessions held: %(n)s, with both sides: %(share)s %%", n=t["sessions"],
                                share=fmt_number(t["share_both_sides"]) if t["share_both_sides"] is not None else "–"))
    lines.append("   - " + _("Participants: %(m)s from municipalities, %(r)s from regions",
                                m=t["participants_municipal"], r=t["participants_regional"]))
    lines.append("   - " + _("Skills demonstrated: %(n)s", n=t["skills_demonstrated"]))
    if t["suppressed"]:
        lines.append("   - " + _("Feedback: not shown, fewer than %(k)s responses", k=MIN_RESPONSES))
    else:
        lines.append("   - " + _("Feedback: %(n)s responses, overall %(overall)s, confidence gain %(gain)s, "
                                  "learned about the other side %(other)s", n=t["responses"],
                                  overall=fmt_number(t["overall"]), gain=fmt_number(t["confidence_gain"]),
                                  other=fmt_number(t["learned_other_side"])))
    lines.append("2. " + _("Stations that stand out"))
    if draft.stations:
        for label, reasons in draft.stations:
            lines.append(f"   - {label}: " + "; ".join(reasons))
    else:
        lines.append("   - " + _("None stands out."))
    lines.append("3. " + _("Common themes in the free text"))
    if draft.themes:
        lines.append("   - " + ", ".join(f"{word} ({n})" for word, n in draft.themes))
    else:
        lines.append("   - " + _("Too few answers to show themes."))
    lines.append("4. " + _("Open actions from earlier meetings"))
    if draft.actions:
        for action in draft.actions:
            due = " (" + _("due %(date)s", date=fmt_date(action.due_on)) + ")" if action.due_on else ""
            lines.append(f"   - {action.text} – {action.owner_label}{due}")
    else:
        lines.append("   - " + _("No open actions."))
    lines.append("5. " + _("Experience from the members"))
    lines.append("6. " + _("Decisions and actions"))
    return "\n".join(lines)
