"""``scheduler.*``: what the scheduler did and why (Koji 1.34+'s names)."""

from __future__ import annotations

from typing import Any

from kiln.hub.context import Context
from kiln.hub.domain import scheduler_log
from kiln.hub.rpc import export


@export("scheduler.getLogMessages")
def getLogMessages(ctx: Context, clauses: Any = None, fields: Any = None, opts: Any = None) -> list:
    """Scheduler notes: ``clauses`` as ``[[field, op, value], ...]``, Koji's QueryView form."""
    return scheduler_log.messages(ctx, clauses, fields, opts)
