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

db = SQLAlchemy()
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
sock = Sock()
mail = Mail()
# ProxyFix has already set remote_addr from the trusted hops of X-Forwarded-For.
limiter = Limiter(key_func=get_remote_address)
# Rendered fragments that are the same for every viewer (app/web/fragments.py).
fragments = Cache()
