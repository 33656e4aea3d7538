"""Extension singletons, created unbound here and bound to the app in ``create_app``.

Flask-Migrate is set up by ``casework.core.migrations`` and imported only when first used.
"""

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from casework.core.db import Base, RoutingSession

db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
if TYPE_CHECKING:
    # ``db.Model`` is an attribute, which a type checker does not take as a base class: models
    # subclass ``Model``, which it reads as the typed declarative base ``db.Model`` is built on.
    Model = Base
else:
    Model = db.Model
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
# Limits are declared on the endpoints that need them (sign-in, tokens, the public form), not globally.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
