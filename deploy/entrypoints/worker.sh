#!/bin/sh
# Worker role: a Celery worker on the default queue ($CELERY_QUEUE, default "bancheng") with
# $CELERY_CONCURRENCY processes (default 2). Extra arguments go to `celery worker`.
# SIGTERM: warm shutdown, the tasks in progress finish first.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$here/common.sh"
exec "$PYTHON" -m celery --app config worker \
    --loglevel "${LOG_LEVEL:-INFO}" \
    --concurrency "${CELERY_CONCURRENCY:-2}" \
    --hostname "${CELERY_WORKER_NAME:-worker@%h}" \
    "$@"
