"""The Flask extensions, created unbound here and bound in `create_app`."""

from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

# Binds with their own engine even when they share a database: the ledger's money sessions
# take connections of their own while a request's session holds one, so they get a pool
# of their own.
OWN_ENGINE_BINDS = frozenset({"items"})


class DreamDotSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy gives SQLALCHEMY_ENGINE_OPTIONS to the default engine only, and
    DreamDot has binds only: every bind gets the pool and timeouts of the DB_* settings
    (then SQLALCHEMY_ENGINE_OPTIONS on top).

    Binds on the same URL (a dyno: every bind on DATABASE_URL) share one engine, except
    those in OWN_ENGINE_BINDS: a request that reads users and posts then checks out, pings
    and commits one connection instead of one per bind. Sharing a pool changes no
    statement: each still reads the tables of one bind."""

    def _make_engine(self, bind_key, options, app):
        from app.services.stores import postgres_engine_options

        options = {**postgres_engine_options(app.config),
                   **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), **options}
        if bind_key in OWN_ENGINE_BINDS:
            return super()._make_engine(bind_key, options, app)
        shared = app.extensions.setdefault("dreamdot.shared_engines", {})
        key = repr(sorted((name, repr(value)) for name, value in options.items()))
        if key not in shared:
            shared[key] = super()._make_engine(bind_key, options, app)
        return shared[key]


db = DreamDotSQLAlchemy()
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
sock = Sock()
mail = Mail()
# ProxyFix has already set remote_addr from the trusted hops of X-Forwarded-For.
limiter = Limiter(key_func=get_remote_address)
# Rendered fragments that are the same for every viewer (app/web/fragments.py).
fragments = Cache()
