"""KTC: the application factory."""
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from sqlalchemy.orm import configure_mappers

from ktc.config import load_config
from ktc.extensions import babel, csrf, db, login_manager, migrate
from ktc.features import FEATURES

ROOT = Path(__file__).resolve().parent.parent



def create_app(overrides=None):
    """Build the Flask app: bind extensions, blueprints, error handlers and CLI; nothing else."""
    from ktc.web import App

    app = App(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    load_config(app, overrides)
    if app.config["KTC_PROXY_COUNT"]:
        # The client's address (login throttling) and scheme as the trusted proxies saw them.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["KTC_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from ktc import models  # noqa: F401  (registers every table on the metadata)
    # Every mapping worked out now, once per process, not by whichever ORM call comes first: a request's
    # user is built from a Core row without an ORM query (ktc.accounts.operations), which configures nothing.
    configure_mappers()
    from ktc.database import configure_sqlite
    from ktc.i18n import register_template_helpers, select_locale, translation_directories

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(
                db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"], app.config["SQLITE_IMMEDIATE_OUTSIDE_REQUESTS"]
            )

    register_template_helpers(app)
    for name in FEATURES:
        module = import_module(f"ktc.{name}")
        # Views are imported here, not by the package, so that importing a feature's models
        # never drags in every other feature's views (and import cycles with them).
        for views in ("views", "admin_views", "circle_views"):
            if find_spec(f"ktc.{name}.{views}") is not None:
                import_module(f"ktc.{name}.{views}")
        bp = getattr(module, "bp", None)
        if hasattr(module, "init_app"):  # a feature that registers its blueprint itself (ktc.api)
            module.init_app(app)
        elif bp is not None:
            app.register_blueprint(bp)

    from ktc import cli, database, web
    from ktc.calendar import stamps

    database.install_last_writes()
    database.install_read_only_end()
    stamps.install()
    web.init_app(app)
    cli.init_app(app)
    return app
