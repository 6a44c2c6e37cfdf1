"""DreamDot: the application factory.

Everything create_app wires is imported here, at the top: nothing in the app imports this
module back, so the factory needs no import inside a function (docs/decisions.md, "Import
layers")."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import models  # noqa: F401 - registers every table with its bind
from app.blueprints.admin import bp as admin_bp
from app.blueprints.analytics import api_bp as analytics_api
from app.blueprints.analytics import bp as analytics_bp
from app.blueprints.auth import api_bp as auth_api
from app.blueprints.auth import bp as auth_bp
from app.blueprints.chat import api_bp as chat_api
from app.blueprints.chat import bp as chat_bp
from app.blueprints.communities import api_bp as communities_api
from app.blueprints.communities import bp as communities_bp
from app.blueprints.devmail import bp as devmail_bp
from app.blueprints.docs import bp as docs_bp
from app.blueprints.items import api_bp as items_api
from app.blueprints.items import bp as items_bp
from app.blueprints.main import bp as main_bp
from app.blueprints.media import bp as media_bp
from app.blueprints.notifications import api_bp as notifications_api
from app.blueprints.notifications import bp as notifications_bp
from app.blueprints.payments import api_bp as payments_api
from app.blueprints.payments import bp as payments_bp
from app.blueprints.posts import api_bp as posts_api
from app.blueprints.posts import bp as posts_bp
from app.blueprints.reports import api_bp as reports_api
from app.blueprints.reports import bp as reports_bp
from app.blueprints.social import api_bp as social_api
from app.blueprints.social import bp as social_bp
from app.blueprints.users import api_bp as users_api
from app.blueprints.users import bp as users_bp
from app.cli import register as register_cli
from app.extensions import csrf, db, fragments, limiter, login_manager, migrate, sock
from app.services.broker import init_broker
from app.services.chat.community_sync import connect_signals as connect_chat_signals
from app.services.chat.presence import init_presence
from app.services.media import media_url
from app.services.media.decoding import init_image_decoding
from app.services.media.storage import init_storage
from app.services.payments.amounts import dollars
from app.services.payments.grants import connect_signals as connect_grant_signals
from app.services.stores import configure_engines, connect_mongo, embedded_warnings, engine_binds
from app.services.wording import ngettext
from app.web.admission import init_app as init_admission
from app.web.auth import DreamDotSessionInterface
from app.web.context import current_navigation
from app.web.converters import init_converters
from app.web.errors import register_error_handlers
from app.web.fragments import post_head_version
from app.web.htmx import add_vary, wants_partial
from app.web.mail import init_app as init_mail
from app.web.security import init_security
from app.web.uploads import init_uploads
from config import BASE_DIR, Config


def create_app(config: Config | None = None, **overrides) -> Flask:
    config = config or Config()
    app = Flask(__name__, instance_path=config.INSTANCE_PATH)
    app.config.from_object(config)
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_logging(app)

    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    init_admission(app)
    app.session_interface = DreamDotSessionInterface()
    app.config["SQLALCHEMY_BINDS"] = engine_binds(app.config)
    db.init_app(app)
    configure_engines(app, db)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    sock.init_app(app)
    limiter.init_app(app)
    fragments.init_app(app)
    connect_mongo(app)
    init_storage(app)
    init_image_decoding(app)
    init_broker(app)
    init_mail(app)
    init_uploads(app)
    init_security(app)
    init_converters(app)
    register_error_handlers(app)
    _register_request_hooks(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    register_cli(app)
    _warn_about_embedded_stores(app)
    return app


def _register_blueprints(app: Flask) -> None:
    for blueprint in (
        main_bp, media_bp, docs_bp, auth_bp, auth_api, users_bp, users_api,
        posts_bp, posts_api, social_bp, social_api, notifications_bp, notifications_api,
        items_bp, items_api, payments_bp, payments_api, communities_bp, communities_api,
        chat_bp, chat_api, analytics_bp, analytics_api, reports_bp, reports_api, admin_bp,
    ):
        app.register_blueprint(blueprint)
    if app.config.get("DEV_MAILBOX"):  # make run's local mail server (never in production)
        app.register_blueprint(devmail_bp)
    init_presence(app)
    connect_chat_signals()
    connect_grant_signals()


def _register_request_hooks(app: Flask) -> None:
    app.after_request(add_vary)


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(media_url=media_url, wants_partial=wants_partial, navigation=current_navigation,
                                 post_head_version=post_head_version, ngettext=ngettext)
    app.jinja_env.filters["money"] = dollars
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _configure_logging(app: Flask) -> None:
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("dreamdot").setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _warn_about_embedded_stores(app: Flask) -> None:
    # Said once, by the serving process: `make run` also builds the app for `flask db upgrade`
    # (and `flask seed`) first, inside a click command, which would repeat every line.
    if app.testing or click.get_current_context(silent=True) is not None:
        return
    log = logging.getLogger("dreamdot.startup")
    for warning in embedded_warnings(app):
        if app.config["APP_ENV"] == "production":
            log.warning("EMBEDDED STORE IN PRODUCTION: %s", warning)
        else:
            log.info("local data: %s", warning)
