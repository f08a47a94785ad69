"""The registry of periodic steps: what `manage.py tick` (buurtnet.core) runs.

Each app declares its own steps in `buurtnet/<app>/periodic.py`, found the first time the
registry is read (`steps()`), so that the tick imports no app by name and an app below it
never has to know the tick exists:

    from buurtnet.common import periodic

    periodic.register(
        "reports_flagged", flag_overdue_reports, description=_("reports overdue")
    )

A step is a function without arguments that returns how many things it did. It must be safe
to run twice, and from two machines at once. `every` is its minimum interval: a step whose
work changes slowly (a scan of a whole table) waits that long after its last run started;
without it, it runs on every pass. Steps run in the order they were registered: apps in
INSTALLED_APPS order, then the order inside each `periodic.py`.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

# The key names the step in operations' PeriodicRun and in the metrics' labels: a stable
# identifier, never shown translated, no spaces.
KEY = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


@dataclass(frozen=True)
class Step:
    key: str
    function: Callable[[], int]
    every: timedelta
    # What the number it returns counts ("messages sent"), translatable.
    description: str


_steps: dict[str, Step] = {}


def register(
    key: str, function: Callable[[], int], *, every: timedelta = timedelta(0), description: str
) -> Step:
    """Add one step. A second step under the same key is a mistake (two apps would share one
    record of their runs), and so is a key that is not a plain identifier."""
    if not KEY.match(key):
        raise ImproperlyConfigured(f"Periodic step key {key!r} must match {KEY.pattern}.")
    if key in _steps:
        raise ImproperlyConfigured(f"Periodic step {key!r} is registered twice.")
    if every < timedelta(0):
        raise ImproperlyConfigured(f"Periodic step {key!r} has a negative interval.")
    step = Step(key=key, function=function, every=every, description=description)
    _steps[key] = step
    return step


def steps() -> list[Step]:
    """Every registered step, in the order they run. Imports each app's `periodic` module
    the first time (a module is imported once per process, so its steps register once)."""
    autodiscover_modules("periodic")
    return list(_steps.values())
