"""KTC's request shell around the guarded floor's statements: what a second, hand-written path for
booking one person would cost (issue 13's option b), measured, not built into KTC.

    DATABASE_URL=… SECRET_KEY=… gunicorn bench.shell:app     # KTC's app with the shell's route added

`add_shell(app)` adds `POST /api/v1/bench-shell/sessions/<id>/bookings` to a KTC app (only the one
the bench serves or measures): KTC's own request handling (the token's user through Flask-Login, the
body and the answer through the API's schemas, KTC's one commit point, the reason translated) around
`bench.floor`'s guarded statements (every guarantee of a one-person booking as SQLAlchemy Core).
bench/booking_profile.py --floor books through it in-process; bench/rush.py rushes it under gunicorn.
"""
SHELL_PATH = "/api/v1/bench-shell/sessions/<int:session_id>/bookings"


def add_shell(app):
    """Add the shell's route to `app`, before its first request."""
    from datetime import datetime, timezone

    from flask_login import current_user

    from bench import floor
    from ktc import policy
    from ktc.api import _require_token, bp
    from ktc.api.bookings import TeamBookingInput, TeamBookingResult
    from ktc.api.util import require
    from ktc.errors import NotFound, SessionFull, SessionNotBookable
    from ktc.extensions import csrf, db

    def book(data, session_id):
        refused = _require_token()  # the API's own check (its blueprint's, which this route is outside of)
        if refused is not None:
            return refused
        require(policy.can_book(current_user))
        status, body = floor._book_guarded(db.session.connection(), current_user.id, session_id,
                                           data["participant_ids"][0], datetime.now(timezone.utc))
        if status == 404:
            raise NotFound()
        require(status != 403)
        if status == 409:
            raise SessionNotBookable()
        result = body["results"][0]
        if result["status"] == "waitlisted":
            result.update(code=SessionFull.code, reason=str(SessionFull()))
        return {"results": [result], "seats": body.get("seats")}, status

    view = bp.arguments(TeamBookingInput)(bp.response(201, TeamBookingResult)(book))
    # Token-authenticated like the API, which is exempt from CSRF as a whole (ktc/api/__init__.py).
    csrf.exempt(view)
    app.add_url_rule(SHELL_PATH, "bench_shell", view, methods=["POST"])
    return app


def __getattr__(name):
    # `gunicorn bench.shell:app` builds KTC's app (from the environment, as wsgi.py) on first use.
    if name == "app":
        from ktc import create_app

        return add_shell(create_app())
    raise AttributeError(name)
