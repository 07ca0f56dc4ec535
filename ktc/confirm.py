"""Destructive actions are confirmed: the first POST shows what will happen and changes nothing.

A view that destroys or notifies calls `confirmed()`; when it is False it answers `ask(...)`, a
page that says what the action will do and posts the same fields again with `confirmed=yes`.
"""
from flask import render_template, request

FIELD = "confirmed"


def confirmed():
    """Whether this POST carries the confirmation (the second step)."""
    return request.form.get(FIELD) == "yes"


def ask(title, message, confirm_label, back_url, details=(), editable=()):
    """The confirmation page: repeats what was posted (except the CSRF token) and changes nothing.

    `editable` lists (name, label, max length) of text fields the person may still fill in or
    change on this page (a reason, say): shown with what was posted instead of repeated hidden.
    """
    skip = {"csrf_token", FIELD, *(name for name, _label, _length in editable)}
    fields = [(name, value) for name, value in request.form.items(multi=True) if name not in skip]
    inputs = [(name, label, length, request.form.get(name, "")[:length]) for name, label, length in editable]
    return render_template(
        "confirm.html", title=title, message=message, details=list(details), confirm_label=confirm_label,
        back_url=back_url, action=request.path, fields=fields, inputs=inputs,
    )
