#!/bin/sh
# The image's entrypoint: brings the schema to the code's version (`flask --app casework db upgrade`),
# then stops the start when CASEWORK_DATA_KEY does not open the secrets stored in the database
# (`flask --app casework check-data-keys`), then runs the given command in its place (exec: it is the
# container's main process and gets its signals). So `docker run casework` alone never serves an old
# schema or a wrong key, as docker compose's and systemd's one-shot steps ensure.
#
# CASEWORK_START_STEPS=skip leaves both steps to someone else: docker-compose.yml sets it, since its
# one-shot migrate and check-data-keys services do them first (the migration as the database's owner,
# whose password web, worker and beat never see). Anything else than "run" (the default) or "skip"
# stops the start.
set -eu

case "${CASEWORK_START_STEPS:-run}" in
run)
    flask --app casework db upgrade
    flask --app casework check-data-keys
    ;;
skip) ;;
*)
    echo "Error: CASEWORK_START_STEPS must be run (the default) or skip, not '${CASEWORK_START_STEPS}'." >&2
    exit 2
    ;;
esac

exec "$@"
