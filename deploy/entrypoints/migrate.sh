#!/bin/sh
# Migration role (a Kubernetes Job before every install and upgrade): `manage.py migrate_all`,
# in order: the public schema (`migrate_schemas --shared`), the template schema new halls are
# cloned from, every hall's schema, then the national working-day calendar. Idempotent.
# MIGRATE_PARALLEL=N (N > 1) migrates the hall schemas with django-tenants' multiprocessing
# executor in N processes (docs/operations.md, "Upgrading": when it pays off).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$here/common.sh"
exec "$PYTHON" -m django migrate_all --parallel "${MIGRATE_PARALLEL:-0}" "$@"
