"""Build the MIME message for an outbox row.

An invitation is multipart/mixed whose first part is multipart/alternative with text/plain,
text/html and text/calendar; method=…; charset=UTF-8 (inline, no Content-Disposition): the
structure Outlook, Gmail, Apple Mail and Thunderbird all recognise as an invitation. No copy of
the calendar object is attached by default: clients that offer an attached invite.ics for import
processed the invitation twice. KTC_MAIL_ICS_ATTACHMENT=1 adds it back for mail programs that
only offer files.
"""
from email import encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

from flask import current_app


def _text(body, subtype):
    return MIMEText(body, subtype, "utf-8")


def calendar_part(ics, method):
    part = MIMEBase("text", "calendar")
    part.set_payload(ics.encode("utf-8"))
    encoders.encode_base64(part)
    del part["Content-Type"]
    part["Content-Type"] = f"text/calendar; method={method.upper()}; charset=UTF-8"
    return part


def ics_attachment(ics):
    part = MIMEBase("application", "ics", name="invite.ics")
    part.set_payload(ics.encode("utf-8"))
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


def build(message, sender, domain):
    """The email.message for an OutboxMessage row."""
    alternative = MIMEMultipart("alternative")
    alternative.attach(_text(message.body_text, "plain"))
    if message.body_html:
        alternative.attach(_text(message.body_html, "html"))
    if message.ics:
        alternative.attach(calendar_part(message.ics, message.ics_method or "PUBLISH"))
        root = MIMEMultipart("mixed")
        root.attach(alternative)
        if current_app.config.get("KTC_MAIL_ICS_ATTACHMENT"):
            root.attach(ics_attachment(message.ics))
    else:
        root = alternative
    name, address = parseaddr(sender)
    root["From"] = formataddr((name, address))
    root["To"] = message.recipient
    root["Subject"] = message.subject
    root["Date"] = format_datetime(message.created_at)
    # Stable per outbox row: if a crash ever made the sender repeat a delivery, mail systems
    # that deduplicate on Message-ID still show it once.
    root["Message-ID"] = f"<ktc-outbox-{message.id}@{domain}>"
    root["Auto-Submitted"] = "auto-generated"
    return root
