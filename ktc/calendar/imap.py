"""The organizer's mailbox over IMAP: claim new messages, read them, file them away.

A message is claimed by moving it (IMAP MOVE, RFC 6851: atomic per message) from the inbox
folder to the processing folder; a second process that loses the race moves nothing. After its
reply is recorded in the database the message is moved on to the processed or rejected folder.
Nothing is ever deleted or marked read in the inbox: a message that cannot be handled stays in a
folder a person can look at.
"""
import imaplib
import re
import ssl
from urllib.parse import unquote, urlsplit

from flask import current_app

_COPYUID = re.compile(rb"\d+ (\S+) (\S+)")
TIMEOUT = 60


class MailboxError(RuntimeError):
    """The IMAP server refused something KTC needs (login, a folder, a move)."""


def _quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uid_set(data):
    """UIDs from a COPYUID set such as b"4:6,9"."""
    uids = []
    for piece in data.split(b","):
        if b":" in piece:
            first, last = (int(x) for x in piece.split(b":"))
            uids.extend(str(uid).encode() for uid in range(min(first, last), max(first, last) + 1))
        else:
            uids.append(piece)
    return uids


class Mailbox:
    """One IMAP connection to KTC_IMAP_URL with the folders from the config."""

    def __init__(self, url=None, config=None):
        config = config or current_app.config
        self.url = url or config["KTC_IMAP_URL"]
        self.inbox = config["KTC_IMAP_INBOX"]
        self.processing = config["KTC_IMAP_PROCESSING"]
        self.processed = config["KTC_IMAP_PROCESSED"]
        self.rejected = config["KTC_IMAP_REJECTED"]
        self.conn = None

    def __enter__(self):
        parts = urlsplit(self.url)
        if parts.scheme == "imaps":
            self.conn = imaplib.IMAP4_SSL(parts.hostname, parts.port or 993, ssl_context=ssl.create_default_context(),
                                          timeout=TIMEOUT)
        elif parts.scheme == "imap":
            self.conn = imaplib.IMAP4(parts.hostname, parts.port or 143, timeout=TIMEOUT)
            if "STARTTLS" in self.conn.capabilities:
                self.conn.starttls(ssl.create_default_context())
        else:
            raise MailboxError("KTC_IMAP_URL must start with imaps:// (or imap:// for a server on loopback)")
        self.conn.login(unquote(parts.username or ""), unquote(parts.password or ""))
        for folder in (self.processing, self.processed, self.rejected):
            self._ensure_folder(folder)
        return self

    def __exit__(self, *exc):
        try:
            self.conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass

    def _ensure_folder(self, name):
        typ, data = self.conn.list('""', _quote(name))
        if typ == "OK" and any(item for item in data if item):
            return
        typ, data = self.conn.create(_quote(name))
        # ALREADYEXISTS: another process created it at the same moment.
        if typ != "OK" and b"ALREADYEXISTS" not in b" ".join(d for d in data if d).upper():
            raise MailboxError(f"cannot create IMAP folder {name}: {data}")

    def _select(self, name):
        typ, data = self.conn.select(_quote(name))
        if typ != "OK":
            raise MailboxError(f"cannot open IMAP folder {name}: {data}")

    def _uids(self):
        typ, data = self.conn.uid("SEARCH", None, "ALL")
        if typ != "OK":
            raise MailboxError(f"IMAP SEARCH failed: {data}")
        return data[0].split() if data and data[0] else []

    def _move(self, uid, folder):
        """Move one message (by UID, in the selected folder); its UID in `folder`, or None if it was gone."""
        self.conn.untagged_responses.pop("COPYUID", None)
        typ, data = self.conn.uid("MOVE", uid, _quote(folder))
        if typ == "NO" and b"EXPUNGEISSUED" in b" ".join(d for d in data if d).upper():
            return None  # another session moved it away between our SEARCH and MOVE
        if typ != "OK":
            raise MailboxError(f"IMAP MOVE failed: {data}")
        # A UIDPLUS server (Dovecot, Cyrus, Exchange, Gmail) answers a move with [COPYUID <validity>
        # <from> <to>]; without it nothing was moved: another process had taken the message already.
        for line in self.conn.untagged_responses.pop("COPYUID", []):
            found = _COPYUID.match(line)
            if found:
                sources, targets = _uid_set(found.group(1)), _uid_set(found.group(2))
                if uid in sources:
                    return targets[sources.index(uid)]
        return None

    def claim_new(self):
        """Move every message in the inbox folder to the processing folder; the UIDs this process moved."""
        self._select(self.inbox)
        claimed = []
        for uid in self._uids():
            moved = self._move(uid, self.processing)
            if moved is not None:
                claimed.append(moved)
        return claimed

    def processing_messages(self):
        """(uid, raw bytes) of every message in the processing folder: this run's claims and any left
        by a process that stopped half-way."""
        self._select(self.processing)
        for uid in self._uids():
            typ, data = self.conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if typ != "OK" or raw is None:
                continue  # moved on by another process meanwhile
            yield uid, raw

    def file(self, uid, rejected):
        """Move a handled message from the processing folder to the processed or rejected folder."""
        return self._move(uid, self.rejected if rejected else self.processed)
