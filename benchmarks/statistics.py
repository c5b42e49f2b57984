"""`python benchmarks/statistics.py`: the city dashboard over 1,000,000 case facts in 100 halls.

The issue names this file; the benchmark itself is benchmarks/statistics_dashboard.py (same options,
see its docstring). A module called ``statistics`` in this folder is found first by every script run
as ``python benchmarks/<script>.py`` (the script's folder heads ``sys.path``) when it imports the
standard library's ``statistics``. So this file does two things:

* run as a script, it takes its own folder off ``sys.path`` and runs the benchmark;
* imported under the name ``statistics`` by such a script, it loads the standard library's module
  and puts it in its own place in ``sys.modules``, which is what the ``import`` then returns.
"""

from __future__ import annotations

import importlib
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _without_here() -> list[str]:
    return [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]


if __name__ == "__main__":
    sys.path[:] = _without_here()
    sys.modules.pop("statistics", None)
    runpy.run_path(str(HERE / "statistics_dashboard.py"), run_name="__main__")
elif __name__ == "statistics":
    _saved = sys.path[:]
    sys.path[:] = _without_here()
    del sys.modules["statistics"]
    try:
        _standard = importlib.import_module("statistics")
    finally:
        sys.path[:] = _saved
    sys.modules["statistics"] = _standard
