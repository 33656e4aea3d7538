#!/bin/sh
# The postgres image runs this once, on its first start with an empty data volume (docker-compose.yml
# mounts it in /docker-entrypoint-initdb.d). It creates Casework's two roles (README, "Database roles")
# and its database:
#
#   casework_owner    owns the database and everything the migrations create; web runs the migrations
#                     as it (CASEWORK_MIGRATION_DATABASE_URL)
#   casework_service  what web, worker and beat connect as (CASEWORK_DATABASE_URL): the migrations grant
#                     it the use of the tables, but only SELECT and INSERT on the audit log
#
# Neither is a superuser; the image's superuser (POSTGRES_USER) is for administration only.
set -eu

: "${CASEWORK_DB_OWNER_PASSWORD:?set CASEWORK_DB_OWNER_PASSWORD (see .env.example)}"
: "${CASEWORK_DB_SERVICE_PASSWORD:?set CASEWORK_DB_SERVICE_PASSWORD (see .env.example)}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
    -v database="${CASEWORK_DB_NAME:-casework}" \
    -v owner_password="$CASEWORK_DB_OWNER_PASSWORD" \
    -v service_password="$CASEWORK_DB_SERVICE_PASSWORD" <<'SQL'
CREATE ROLE casework_owner LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'owner_password';
CREATE ROLE casework_service LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'service_password';
CREATE DATABASE :"database" OWNER casework_owner ENCODING 'UTF8';
SQL
