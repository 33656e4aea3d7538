# syntax=docker/dockerfile:1
#
# One image for the web app, the Celery worker and Celery beat (see docker-compose.yml).
#   docker build -t casework .
#   docker run --env-file .env -p 8000:8000 casework

# --- Stage 1: GOV.UK Frontend assets --------------------------------------------------------------
# node_modules never reaches the final image: only the built CSS and the copied JS, fonts and images do.
FROM node:20.18.1-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build-assets.mjs scripts/govuk-frontend.scss scripts/
RUN npm run build


# --- Stage 2: the Python application --------------------------------------------------------------
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The app runs from the source tree in /app, ahead of the installed copy in site-packages: the
    # top-level templates/ and migrations/ folders and the built assets live beside the package,
    # and the wheel does not carry them.
    PYTHONPATH=/app \
    FLASK_APP=casework \
    # --preload: the app is built once, before the workers are forked, and they share its memory
    # (docs/operations.md).
    GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000 --workers 3 --preload --access-logfile -"

WORKDIR /app

# What WeasyPrint needs to turn letters into PDFs (its documented Debian packages: Pango and HarfBuzz's
# subsetter), and fonts metrically compatible with Arial, which the letters name.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system casework \
    && useradd --system --gid casework --home-dir /app --no-create-home --shell /usr/sbin/nologin casework

# Dependencies first, from pyproject.toml alone, so code changes reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY README.md ./
COPY casework ./casework
RUN pip install --no-deps . && rm -rf build casework.egg-info

# Prove the image can make a letter's PDF: the build fails here if WeasyPrint cannot find Pango.
RUN python -c "from casework.documents.layout import to_pdf; pdf = to_pdf('<h1>Casework</h1><p>A letter.</p>'); assert pdf.startswith(b'%PDF'), 'WeasyPrint made no PDF'; print('WeasyPrint rendered a PDF of', len(pdf), 'bytes')"

COPY migrations ./migrations
COPY templates ./templates
COPY --from=assets /build/casework/static/govuk ./casework/static/govuk

# The instance folder is the only place the app writes (Flask's instance path for /app/casework).
RUN mkdir -p /app/instance && chown casework:casework /app/instance

USER casework
EXPOSE 8000

# Every start first runs `flask --app casework db upgrade` and then `flask --app casework check-data-keys`
# (which stops the start when CASEWORK_DATA_KEY does not open the stored secrets), then the command:
# `docker run casework` alone is safe. docker-compose.yml runs those two as one-shot services before
# web, worker and beat (`celery -A casework.tasks.worker worker|beat`, same image) and sets
# CASEWORK_START_STEPS=skip so they are not run again (docker/entrypoint.sh).
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/casework-entrypoint
ENTRYPOINT ["casework-entrypoint"]
# Serves the app (casework.wsgi prints a configuration error as one line and stops).
CMD ["gunicorn", "casework.wsgi:app"]
