# Sourced by the role scripts beside it (POSIX sh). In the image, `python` is the application's
# virtual environment; outside it (tests, a checkout) set PYTHON, e.g. PYTHON=.venv/bin/python.
PYTHON=${PYTHON:-python}
DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings}
export DJANGO_SETTINGS_MODULE
