"""Worker and beat entry point: ``celery -A casework.tasks.worker worker`` / ``... beat``.

Building the app here (not at import of the package) keeps ``import casework`` free of side effects.
"""

from casework.app import create_app

app = create_app()
celery = app.extensions["celery"]
