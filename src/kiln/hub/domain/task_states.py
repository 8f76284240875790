"""The task state machine: every allowed change of state and who may make it.

This table is the one place the rules live.  Each entry maps a change
``(from, to)`` to the roles that may make it; a caller's roles towards a task
are worked out by ``roles_of`` and a change is allowed when the two meet.

Roles:

- ``hub``: the hub itself (the scheduler claiming work for a host, a dead
  host's tasks going back to the queue, an assignment that timed out, a task
  every ready host refused);
- ``admin``: a user with the admin permission;
- ``owner``: the user who owns the task;
- ``assigned_host``: the host the task is ASSIGNED to;
- ``eligible_host``: a host that may take the FREE task (channel, arch, no
  refusal, spare capacity);
- ``running_host``: the host the task is OPEN on;
- ``parent_host``: the host running the task's parent (for its children).

Resubmission (``FAILED``/``CANCELED`` -> ``FREE``) makes a new task, as Koji's
``resubmitTask`` does; the table still says who may ask for it.
"""

from __future__ import annotations

from kiln.protocol import errors
from kiln.protocol.constants import TaskState

FREE, OPEN, CLOSED, CANCELED, ASSIGNED, FAILED = (
    TaskState.FREE,
    TaskState.OPEN,
    TaskState.CLOSED,
    TaskState.CANCELED,
    TaskState.ASSIGNED,
    TaskState.FAILED,
)

HUB = "hub"
ADMIN = "admin"
OWNER = "owner"
ASSIGNED_HOST = "assigned_host"
ELIGIBLE_HOST = "eligible_host"
RUNNING_HOST = "running_host"
PARENT_HOST = "parent_host"

FINISHED = frozenset({CLOSED, CANCELED, FAILED})
ACTIVE = frozenset({FREE, OPEN, ASSIGNED})

TRANSITIONS: dict[tuple[TaskState, TaskState], frozenset[str]] = {
    # the scheduler gives a host work; an admin assigns by hand (or reassigns)
    (FREE, ASSIGNED): frozenset({HUB, ADMIN}),
    (ASSIGNED, ASSIGNED): frozenset({ADMIN}),
    (OPEN, ASSIGNED): frozenset({ADMIN}),
    # a builder starts work
    (ASSIGNED, OPEN): frozenset({ASSIGNED_HOST}),
    (FREE, OPEN): frozenset({ELIGIBLE_HOST}),
    # a builder finishes
    (OPEN, CLOSED): frozenset({RUNNING_HOST}),
    (OPEN, FAILED): frozenset({RUNNING_HOST}),
    # nobody can run it: every ready host refused
    (FREE, FAILED): frozenset({HUB}),
    # cancellation
    (FREE, CANCELED): frozenset({OWNER, ADMIN, PARENT_HOST}),
    (ASSIGNED, CANCELED): frozenset({OWNER, ADMIN, PARENT_HOST}),
    (OPEN, CANCELED): frozenset({OWNER, ADMIN, PARENT_HOST}),
    # back to the queue
    (OPEN, FREE): frozenset({ADMIN, RUNNING_HOST, HUB}),
    (ASSIGNED, FREE): frozenset({ADMIN, ASSIGNED_HOST, HUB}),
    # resubmission: a new FREE task with the same request
    (FAILED, FREE): frozenset({OWNER, ADMIN}),
    (CANCELED, FREE): frozenset({OWNER, ADMIN}),
}

ROLE_WORDS = {
    HUB: "the hub",
    ADMIN: "an admin",
    OWNER: "the task's owner",
    ASSIGNED_HOST: "the host it is assigned to",
    ELIGIBLE_HOST: "a host that may take it",
    RUNNING_HOST: "the host running it",
    PARENT_HOST: "the host running its parent",
}


def allowed(old: int, new: int, roles: set[str] | frozenset[str]) -> bool:
    return bool(TRANSITIONS.get((TaskState(old), TaskState(new)), frozenset()) & roles)


def check(task_id: int, old: int, new: int, roles: set[str] | frozenset[str]) -> None:
    """Raise a fault that says why, unless ``roles`` may move the task from ``old`` to ``new``."""
    key = (TaskState(old), TaskState(new))
    permitted = TRANSITIONS.get(key)
    if permitted is None:
        raise errors.GenericError(f"task {task_id} is {key[0].name}: it cannot become {key[1].name}")
    if not permitted & roles:
        who = " or ".join(ROLE_WORDS[r] for r in sorted(permitted))
        raise errors.ActionNotAllowed(f"task {task_id}: only {who} may change it from {key[0].name} to {key[1].name}")
