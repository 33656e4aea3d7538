"""The WSGI entry point for gunicorn: ``gunicorn casework.wsgi:app`` (docker-compose.yml, the systemd unit).

A configuration error prints one line naming the variable and stops gunicorn (status 4, its "app failed
to load", so the master does not restart the worker in a loop) instead of a traceback per worker.
"""

from casework.app import create_app
from casework.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    error.show()
    raise SystemExit(4) from None
