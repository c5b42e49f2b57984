#!/bin/sh
# Beat role: the Celery scheduler of the deadline and notice sweeps. Run exactly one: two beats
# send every sweep twice. The schedule file only remembers last run times; it may live in /tmp.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$here/common.sh"
exec "$PYTHON" -m celery --app config beat \
    --loglevel "${LOG_LEVEL:-INFO}" \
    --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" \
    "$@"
