"""Hooks for gunicorn's configuration file when PROMETHEUS_MULTIPROC_DIR is set.

    from buurtnet.operations.gunicorn_hooks import child_exit  # noqa: F401

A worker that exits leaves its metric files behind; `mark_process_dead` removes its live
gauges so that a scrape does not add up the values of dead workers. (Counters and histograms
stay: their totals must not drop when a worker is recycled.) The directory itself must be
emptied before gunicorn starts (a new, empty directory per start, e.g. in the unit file).
"""

import os


def child_exit(server, worker) -> None:
    """gunicorn calls this in the master when a worker process has exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
