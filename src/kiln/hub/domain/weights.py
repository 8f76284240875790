"""Task weights: how much of a host's capacity a task takes.

The rule (documented in docs/tasks.md):

- A task starts at its method's *starting weight*: what the builder's handler
  declares (``host.setTaskWeight``), or before that the hub's table below
  (Koji's handlers' ``_taskWeight`` values), or 1.0.
- The *effective* weight, the one the scheduler counts, raises the starting
  weight by up to double for long tasks::

      effective = start * (1 + min(1, max(mean_duration, running_time) / full_seconds))

  where ``mean_duration`` is the recorded mean run time of earlier tasks of
  the same method, ``running_time`` how long this task has been OPEN, and
  ``full_seconds`` (setting ``weight_full_seconds``, one hour by default) the
  run time at which a task counts double.
- The running time is folded in when the task opens, when its starting weight
  is set, and at every periodic check while it runs; so a host's load can
  rise above its capacity, as in Koji.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Float, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kiln.hub.context import Context
from kiln.hub.db import tables
from kiln.hub.db.raw import RawQuery

STARTING_WEIGHTS = {
    "build": 0.2,
    "chainbuild": 0.1,
    "maven": 0.2,
    "buildMaven": 1.5,
    "wrapperRPM": 1.5,
    "chainmaven": 0.2,
    "createAppliance": 1.5,
    "createLiveCD": 1.5,
    "createLiveMedia": 1.5,
    "createImage": 2.0,
    "rebuildSRPM": 1.0,
    "buildSRPMFromSCM": 1.0,
    "tagNotification": 0.1,
    "buildNotification": 0.1,
    "newRepo": 0.1,
    "createrepo": 1.5,
    "distRepo": 0.1,
    "createdistrepo": 1.5,
    "sleep": 0.25,
    "waittest": 0.1,
    "subtask": 0.1,
    "default": 0.1,
}
# How many recent runs the mean remembers (an exponential moving average).
MEMORY = 20

ts = tables.task_method_stats
log = logging.getLogger(__name__)


def starting(method: str) -> float:
    return STARTING_WEIGHTS.get(method, 1.0)


def effective(start: float, mean_duration: float, running: float, full_seconds: float) -> float:
    longest = max(mean_duration, running, 0.0)
    return start * (1.0 + min(1.0, longest / full_seconds if full_seconds > 0 else 1.0))


_MEAN = RawQuery("SELECT mean_duration FROM task_method_stats WHERE method = :method")


def initial_weight_sql(start: Any, method: Any, full_seconds: Any) -> Any:
    """``effective(start, mean_duration(method), 0, full_seconds)`` as a SQL expression.

    The same rule as ``effective``, written once more in SQL so that makeTask
    computes the weight inside its INSERT; keep the two in step.
    """
    mean = func.coalesce(select(ts.c.mean_duration).where(ts.c.method == method).scalar_subquery(), 0.0)
    share = mean / full_seconds
    return start * (1.0 + case((share < 1.0, share), else_=1.0))


def mean_duration(ctx: Context, method: str) -> float:
    row = _MEAN.one(ctx.conn, {"method": method})
    return row["mean_duration"] if row else 0.0


def record_run(ctx: Context, method: str, duration: float) -> None:
    """Fold a finished task's run time into its method's mean, once the close has committed.

    In a short transaction of its own: every close of a method updates the
    same row, and holding its lock for a whole request queued all closes of
    that method behind each other on PostgreSQL.
    """
    duration = max(duration, 0.0)
    engine, kept = ctx.engine, ctx.kept

    def store() -> None:
        # From the worker's kept connections when it has them: they stay checked
        # out of the pool, so a connection of the pool's own could be the 16th and
        # wait out the pool's timeout while 15 kept ones sat idle.
        conn = kept.acquire() if kept is not None else engine.connect()
        healthy = False
        try:
            conn.info["write"] = True
            with conn.begin():
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                conn.execute(_seed(dialect), {"m": method})
                conn.execute(_FOLD, {"m": method, "duration": duration})
            healthy = True
        except Exception:
            log.exception("could not record the run time of a %s task", method)
        finally:
            if kept is not None:
                kept.release(conn, healthy)
            else:
                conn.close()

    ctx.on_commit(store)


def _seed(dialect: Any) -> Any:
    return dialect.insert(ts).values(method=bindparam("m"), runs=0, mean_duration=0.0).on_conflict_do_nothing()


# mean += (duration - mean) / min(runs, MEMORY), in one statement
_NEW_RUNS = ts.c.runs + 1
_FOLD = (
    update(ts)
    .where(ts.c.method == bindparam("m"))
    .values(
        runs=_NEW_RUNS,
        mean_duration=ts.c.mean_duration
        + (bindparam("duration", type_=Float) - ts.c.mean_duration)
        / case((_NEW_RUNS < MEMORY, _NEW_RUNS), else_=MEMORY),
    )
)
