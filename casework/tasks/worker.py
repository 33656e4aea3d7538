"""Worker and beat entry point: ``celery -A casework.tasks.worker worker`` / ``... beat``.

Building the app here (not at import of the package) keeps ``import casework`` free of side effects.
The Flask app is deliberately not called ``app``: ``celery -A module`` looks for an attribute named
``app`` first and would find the Flask application instead of the Celery one.
"""

from casework.app import create_app
from casework.config import ConfigError

try:
    flask_app = create_app()
except ConfigError as error:
    # One line naming the variable, not a traceback (Celery imports this module outside click's handling).
    error.show()
    raise SystemExit(error.exit_code) from None

# Celery's -A looks for ``app`` then ``celery`` in this module; ``app`` must be the Celery app, not Flask's.
app = celery = flask_app.extensions["celery"]
