"""The WSGI entry point for gunicorn: ``gunicorn casework.wsgi:app`` (docker-compose.yml, the systemd unit).

Once the app is built, what start-up made is frozen out of the garbage collector's passes (``gc.freeze``).

A configuration error prints one line naming the variable and stops gunicorn (status 4, its "app failed
to load", so the master does not restart the worker in a loop) instead of a traceback per worker.
"""

import gc

from casework.app import create_app
from casework.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    error.show()
    raise SystemExit(4) from None
else:
    # Everything start-up built (the app, its compiled templates, the mappers, the libraries' modules: some
    # 430,000 objects) lives as long as the worker. Left to the collector, each full collection walked all
    # of it again: about every 200 case pages, some 180 ms each. Frozen, the collector passes over it;
    # garbage made later, by requests, is collected as before.
    gc.freeze()
