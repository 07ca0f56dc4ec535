from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ktc import policy
from ktc.database import utcnow
from ktc.extensions import db
from ktc.main import bp
from ktc.main import dashboard as admin_dashboard
from ktc.security import is_safe_next
from ktc.web import RETRY_AFTER_SECONDS


@bp.route("/")
@login_required
def index():
    dashboard = None
    if policy.is_admin(current_user):
        dashboard = admin_dashboard.build(utcnow())
    return render_template("main/index.html", dashboard=dashboard)


@bp.route("/lang", methods=["POST"])
def set_language():
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.index"))


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError:  # any database failure means "not healthy"
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass  # the connection is gone already; the pool discards it
        response = jsonify({"status": "error", "database": "unavailable"})
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        return response
    return jsonify({"status": "ok", "database": "ok"})
