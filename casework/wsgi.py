"""The WSGI entry point for gunicorn: ``gunicorn casework.wsgi:app`` (docker-compose.yml, the systemd unit).

Once the app is built, what start-up made is frozen out of the garbage collector's passes (``gc.freeze``).
The image and the systemd unit run gunicorn with ``--preload``: this module is then imported once, by
gunicorn's master, and the workers forked from it share what it built (docs/performance.md, "Memory").

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
    # garbage made later, by requests, is collected as before. Under --preload, frozen objects are also
    # left alone by the workers' collections, so the memory pages holding them stay shared longer.
    gc.freeze()
