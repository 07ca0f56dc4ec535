"""CSV in and out. Exports open directly in a Swedish spreadsheet: UTF-8 with BOM, semicolons."""
import csv
import io

from flask import Response

DELIMITER = ";"


def csv_response(filename, header, rows):
    """A downloadable CSV: header row, then one row per item (values are str()-ed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
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
