"""CSV in and out. Exports open directly in a Swedish spreadsheet: UTF-8 with BOM, semicolons.

Every export goes through `SafeWriter`, which neutralises formula injection (OWASP's rule): a
text cell that begins with = + - @, a tab or a carriage return is prefixed with a single quote,
so that a staff member named `=HYPERLINK(...)` is shown as text, not run as a formula. Numbers
are written as they are: pass ints, floats and Decimals, or `Figure` for a number already
formatted for the reader (a negative confidence gain "-0,50" stays a number).
"""
import csv
import io
from decimal import Decimal

from flask import Response

from ktc.i18n import fmt_number

DELIMITER = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Figure(str):
    """A number formatted for the reader's locale; written without the formula guard."""

    @classmethod
    def of(cls, value, fmt=None):
        """The value formatted with the locale's decimal sign, or "" for None."""
        return "" if value is None else cls(fmt_number(value, fmt))


def safe_cell(value):
    """The value as a spreadsheet should see it: numbers as they are, text never as a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal, Figure)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """csv.writer with every cell passed through `safe_cell`."""

    def __init__(self, stream, **options):
        options.setdefault("delimiter", DELIMITER)
        options.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(stream, **options)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_response(filename, header, rows):
    """A downloadable CSV: header row, then one row per item (values are str()-ed, text made safe)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    data = "\ufeff" + buffer.getvalue()
    return Response(
        data.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def read_csv(data):
    """Parse uploaded CSV bytes (UTF-8, with or without BOM; `;` or `,`) into (header, rows).

    Rows are dicts keyed by the lower-cased, stripped header names; each also carries its
    1-based line number under "_line" so that errors can point at the right row.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")  # files saved by older Excel versions
    else:
        text = data.lstrip("\ufeff")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        return [], []
    header = [h.strip().lower() for h in rows[0]]
    result = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        item = {header[i]: (values[i].strip() if i < len(values) else "") for i in range(len(header))}
        item["_line"] = number
        result.append(item)
    return header, result
