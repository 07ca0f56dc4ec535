"""What the staff and skills imports share: the stored upload, header aliases and the preview shape.

An import is two requests. The upload stores the file in `csv_uploads` under a random id owned
by the uploader and shows a preview; the confirm step loads that stored copy, checks every row
again against the database as it is then, and imports all rows or none.
"""
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ktc.csvutil import FORMULA_STARTS, read_csv
from ktc.database import utcnow
from ktc.errors import NotFound, ValidationError
from ktc.extensions import db
from ktc.organisations.models import CsvUpload

# Uploads not confirmed within this time are removed the next time anyone uploads.
UPLOAD_LIFETIME = timedelta(days=1)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
TRUE_WORDS = {"1", "yes", "y", "true", "ja", "j", "sant", "x", "aktiv", "active"}
FALSE_WORDS = {"0", "no", "n", "false", "nej", "falskt", "inaktiv", "inactive"}


@dataclass
class ImportRow:
    line: int
    values: dict
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # shown, but the row is still imported
    action: str = "create"  # or "update"
    resolved: dict = field(default_factory=dict)


@dataclass
class ImportResult:
    """What a confirmed import did."""
    created: int = 0
    updated: int = 0


@dataclass
class ImportPreview:
    columns: list
    rows: list = field(default_factory=list)
    file_errors: list = field(default_factory=list)
    present: set = field(default_factory=set)  # canonical columns the file actually has

    @property
    def error_count(self):
        return sum(1 for row in self.rows if row.errors)

    @property
    def warning_count(self):
        return sum(1 for row in self.rows if row.warnings)

    @property
    def ok(self):
        return not self.file_errors and bool(self.rows) and self.error_count == 0

    def raise_unless_ok(self):
        """Refuse the whole import (ImportFailed with every row's errors) unless every row is good."""
        from ktc.errors import ImportFailed

        if not self.ok:
            errors = self.row_errors()
            if self.file_errors:
                errors[0] = [str(e) for e in self.file_errors]
            raise ImportFailed(errors)

    def row_errors(self):
        """{line: [message, ...]} for every bad row, as ImportFailed carries it."""
        return {row.line: [str(e) for e in row.errors] for row in self.rows if row.errors}


def decode_upload(data):
    """Text of an uploaded file: UTF-8 (with or without BOM), or cp1252 as older Excel saves it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def store_upload(user, kind, filename, data):
    """Keep an uploaded file for its preview; returns the stored row (its id is the random key)."""
    if not data:
        raise ValidationError(_l("The file is empty."), field="file")
    db.session.execute(delete(CsvUpload).where(CsvUpload.created_at < utcnow() - UPLOAD_LIFETIME))
    upload = CsvUpload(
        id=secrets.token_urlsafe(24),
        kind=kind,
        user_id=user.id,
        filename=(filename or "")[:255],
        content=decode_upload(data),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def get_upload(user, kind, upload_id):
    """The user's own stored upload of this kind; anyone else's is not found."""
    upload = db.session.get(CsvUpload, upload_id)
    if upload is None or upload.user_id != user.id or upload.kind != kind:
        raise NotFound()
    if upload.created_at < utcnow() - UPLOAD_LIFETIME:
        raise NotFound(_l("The uploaded file has expired. Please upload it again."))
    return upload


def discard_upload(upload):
    db.session.execute(delete(CsvUpload).where(CsvUpload.id == upload.id))


def parse_rows(content, aliases, required):
    """Read CSV text and map its headers (English or Swedish) onto canonical column names.

    Returns an ImportPreview whose rows carry `values` keyed by canonical name; a missing
    required column is a file error.
    """
    header, raw_rows = read_csv(content)
    columns = list(aliases)
    preview = ImportPreview(columns=columns)
    found = {}
    for name, names in aliases.items():
        for alias in names:
            if alias in header:
                found[name] = alias
                break
    preview.present = set(found)
    missing = [aliases[name][0] for name in required if name not in found]
    if missing:
        preview.file_errors.append(
            _l("Columns missing from the file: %(columns)s.", columns=", ".join(missing))
        )
    for raw in raw_rows:
        values = {name: raw.get(found[name], "") if name in found else "" for name in columns}
        preview.rows.append(ImportRow(line=raw["_line"], values=values, warnings=formula_warnings(values, found)))
    if not raw_rows and not missing:
        preview.file_errors.append(_l("The file has no rows to import."))
    return preview


def formula_warnings(values, headers):
    """A warning per value that a spreadsheet would read as a formula (it is still imported).

    KTC's own exports write such text with a leading quote, but the value may reach other
    tools, and a name like `=HYPERLINK(...)` in a staff list is more likely an attack than a name.
    """
    return [
        _l("The value in the column “%(column)s” begins with = + - or @ and may run as a formula in a "
           "spreadsheet: “%(value)s”. Check that it is right.", column=headers[name], value=value)
        for name, value in values.items()
        if value.startswith(FORMULA_STARTS)
    ]


def parse_bool(text, default=True):
    """True/False from yes/no words in English or Swedish; None if the text is not one of them."""
    value = (text or "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    return None


def valid_email(email):
    return bool(EMAIL_RE.match(email or ""))


def existing_by(model, column, keys):
    """{key: object} for the rows whose column is in keys, in one query."""
    keys = [k for k in keys if k]
    if not keys:
        return {}
    rows = db.session.execute(select(model).where(column.in_(keys))).scalars()
    return {getattr(row, column.key): row for row in rows}


def upload_step(kind, template, preview_endpoint):
    """The upload page of an import: store the file, then go to its preview."""
    from flask import redirect, render_template, url_for
    from flask_login import current_user

    from ktc.errors import DomainError
    from ktc.organisations.forms import ImportForm
    from ktc.web import show_domain_error

    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            stored = store_upload(current_user, kind, upload.filename, upload.read())
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            return redirect(url_for(preview_endpoint, upload_id=stored.id))
    return render_template(template, form=form), 422 if form.errors else 200


def preview_step(kind, upload_id, preview, run_import, template, upload_endpoint, done_endpoint):
    """The preview page of an import; confirming imports every row in one transaction, or none."""
    from flask import flash, redirect, render_template, url_for
    from flask_babel import gettext as _
    from flask_login import current_user

    from ktc.errors import DomainError
    from ktc.organisations.forms import ConfirmForm

    upload = get_upload(current_user, kind, upload_id)
    form = ConfirmForm()
    status = 200
    if form.validate_on_submit():
        try:
            result = run_import(upload.content)
            discard_upload(upload)
            db.session.flush()
        except DomainError as exc:  # ImportFailed, or a Conflict from a concurrent import
            db.session.rollback()
            flash(str(exc), "error")
            status = 422
        else:
            flash(_("Import done: %(created)s added, %(updated)s updated.", created=result.created,
                    updated=result.updated), "success")
            return redirect(url_for(done_endpoint))
    return render_template(
        template, preview=preview(upload.content), upload=upload, form=form, upload_url=url_for(upload_endpoint)
    ), status
