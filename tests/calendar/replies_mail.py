"""Replies to KTC invitations shaped the way Outlook, Gmail, Apple Calendar and Thunderbird write them."""
import base64
import quopri
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid

ORGANIZER = "ktc@localhost"


def reply_ics(uid, email, partstat, sequence=1, method="REPLY", in_calendar=True, prodid="-//Test//EN",
              mailto="mailto:", extra_event=(), extra_attendee="", cn="Anna Svensson"):
    lines = ["BEGIN:VCALENDAR", f"PRODID:{prodid}", "VERSION:2.0"]
    if in_calendar:
        lines.append(f"METHOD:{method}")
    lines += [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T120000Z",
        "DTSTART:20300101T080000Z",
        "DTEND:20300101T100000Z",
    ]
    if sequence is not None:
        lines.append(f"SEQUENCE:{sequence}")
    lines.append(f"ORGANIZER;CN=KTC:mailto:{ORGANIZER}")
    lines.append(f"ATTENDEE;CN=\"{cn}\"{extra_attendee};PARTSTAT={partstat}:{mailto}{email}")
    lines += list(extra_event)
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def _headers(message, sender, subject, name="Anna Svensson"):
    message["From"] = formataddr((name, sender))
    message["To"] = formataddr(("KTC", ORGANIZER))
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.net")
    return message


def _calendar_part(ics, method, encoding):
    part = MIMEBase("text", "calendar")
    body = ics.encode("utf-8")
    if encoding == "base64":
        part.set_payload(base64.encodebytes(body).decode("ascii"))
    elif encoding == "quoted-printable":
        part.set_payload(quopri.encodestring(body).decode("ascii"))
    else:
        part.set_payload(ics)
    part["Content-Transfer-Encoding"] = encoding
    del part["Content-Type"]
    part["Content-Type"] = f'text/calendar; charset="utf-8"' + (f"; method={method}" if method else "")
    return part


def outlook(uid, sender, partstat="DECLINED", sequence=1, method="REPLY"):
    """Outlook/Exchange: base64 text/calendar, MAILTO in capitals, Microsoft properties, a winmail.dat."""
    ics = reply_ics(uid, sender, partstat, sequence, method=method, prodid="Microsoft Exchange Server 2010",
                    mailto="MAILTO:", extra_event=[
                        "COMMENT;LANGUAGE=sv-SE:Jag kan tyvärr inte komma.",
                        "SUMMARY;LANGUAGE=sv-SE:Avböjt: HLR",
                        "X-MICROSOFT-CDO-APPT-SEQUENCE:1",
                        "X-MICROSOFT-CDO-OWNERAPPTID:-1581093520",
                        "X-MICROSOFT-CDO-REPLYTIME:20260101T120000Z",
                    ])
    root = MIMEMultipart("mixed")
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("Anna Svensson has declined.", "plain", "us-ascii"))
    alternative.attach(_calendar_part(ics, method, "base64"))
    root.attach(alternative)
    tnef = MIMEApplication(b"\x78\x9f\x3e\x22" + b"\x00" * 60, "ms-tnef", name="winmail.dat")
    tnef.add_header("Content-Disposition", "attachment", filename="winmail.dat")
    root.attach(tnef)
    return _headers(root, sender, "Avböjt: HLR").as_bytes()


def gmail(uid, sender, partstat="ACCEPTED", sequence=1):
    """Gmail: text/calendar in multipart/alternative plus the same file as an invite.ics attachment."""
    ics = reply_ics(uid, sender, partstat, sequence, prodid="-//Google Inc//Google Calendar 70.9054//EN",
                    extra_attendee=";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;X-NUM-GUESTS=0",
                    extra_event=["CREATED:20260101T110000Z", "TRANSP:OPAQUE", "STATUS:CONFIRMED"])
    root = MIMEMultipart("mixed")
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("Anna Svensson has accepted this invitation.", "plain", "utf-8"))
    alternative.attach(MIMEText("<p>Anna Svensson has accepted this invitation.</p>", "html", "utf-8"))
    alternative.attach(_calendar_part(ics, "REPLY", "base64"))
    root.attach(alternative)
    attachment = MIMEApplication(ics.encode("utf-8"), "ics", name="invite.ics")
    attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
    root.attach(attachment)
    return _headers(root, sender, "Accepted: HLR @ Wed Jan 1, 2030").as_bytes()


def apple(uid, sender, partstat="Tentative", sequence=1):
    """Apple Calendar: quoted-printable, METHOD only in the Content-Type, mixed-case PARTSTAT, X-APPLE props."""
    ics = reply_ics(uid, sender, partstat, sequence, in_calendar=False,
                    prodid="-//Apple Inc.//macOS 14.5//EN",
                    extra_event=["X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC", "TRANSP:OPAQUE"])
    root = MIMEMultipart("alternative")
    root.attach(MIMEText("Anna Svensson har svarat preliminärt.", "plain", "utf-8"))
    root.attach(_calendar_part(ics, "REPLY", "quoted-printable"))
    return _headers(root, sender, "Preliminärt: HLR").as_bytes()


def thunderbird(uid, sender, partstat="declined", sequence=1):
    """Thunderbird: text/plain, then text/calendar 8bit, then an invite.ics attachment; lower-case PARTSTAT."""
    ics = reply_ics(uid, sender, partstat, sequence, prodid="-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN")
    root = MIMEMultipart("mixed")
    root.attach(MIMEText("Anna Svensson har tackat nej.", "plain", "utf-8"))
    root.attach(_calendar_part(ics, "REPLY", "8bit"))
    attachment = MIMEApplication(ics.encode("utf-8"), "ics", name="invite.ics")
    attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
    root.attach(attachment)
    return _headers(root, sender, "Tackat nej: HLR").as_bytes()


def plain_mail(sender, text="Hej! Jag kommer inte."):
    return _headers(MIMEText(text, "plain", "utf-8"), sender, "Sv: HLR").as_bytes()


def raw_calendar(sender, ics, method="REPLY"):
    root = MIMEMultipart("alternative")
    root.attach(MIMEText("reply", "plain", "utf-8"))
    root.attach(_calendar_part(ics, method, "8bit"))
    return _headers(root, sender, "Reply").as_bytes()
