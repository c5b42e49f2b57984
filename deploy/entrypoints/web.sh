#!/bin/sh
# Web role: gunicorn serving Django on $PORT (default 8000). Settings: deploy/gunicorn.conf.py.
# Extra arguments go to gunicorn. SIGTERM: gunicorn finishes the requests in progress, then exits.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$here/common.sh"
exec "$PYTHON" -m gunicorn --config "$here/../gunicorn.conf.py" "$@" config.wsgi:application
