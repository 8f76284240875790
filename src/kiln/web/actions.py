"""What a logged-in visitor does: each action a POST with the form's CSRF token, done by the hub as them.

An action takes the visitor's hub session, the visitor and the form, calls
the hub, and gives the address to go back to.  The buttons are shown only to
visitors the hub would allow; the hub decides anyway, and its refusal is
shown as a page (the app turns a fault into a 403 with the hub's words).
Edit forms (``hostedit``) are pages a GET shows and a POST saves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiln.client import ClientSession
from kiln.web import tag_edits
from kiln.web.listing import PageError
from kiln.web.visitor import Visitor

Action = Callable[[ClientSession, Visitor, dict[str, str]], str]


def _id(form: dict[str, str], name: str) -> int:
    value = form.get(name, "")
    if not value.isdigit():
        raise PageError(400, f"This form needs {name}, a number.")
    return int(value)


def canceltask(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    task_id = _id(form, "taskID")
    session.cancelTask(task_id)
    return f"/koji/taskinfo?taskID={task_id}"


def resubmittask(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    new_id = session.resubmitTask(_id(form, "taskID"))
    return f"/koji/taskinfo?taskID={new_id}"


def freetask(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    task_id = _id(form, "taskID")
    session.freeTask(task_id)
    return f"/koji/taskinfo?taskID={task_id}"


def taskpriority(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    task_id = _id(form, "taskID")
    try:
        priority = int(form.get("priority", ""))
    except ValueError:
        raise PageError(400, "The priority must be a whole number (lower runs first).") from None
    session.setTaskPriority(task_id, priority, recurse=form.get("recurse", "1") == "1")
    return f"/koji/taskinfo?taskID={task_id}"


def cancelbuild(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    build_id = _id(form, "buildID")
    if not session.cancelBuild(build_id):
        raise PageError(409, "The build is not building any more: there was nothing to cancel.")
    return f"/koji/buildinfo?buildID={build_id}"


def enablehost(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    host_id = _id(form, "hostID")
    session.enableHost(session.getHost(host_id, strict=True)["name"])
    return f"/koji/hostinfo?hostID={host_id}"


def disablehost(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    host_id = _id(form, "hostID")
    session.disableHost(session.getHost(host_id, strict=True)["name"])
    return f"/koji/hostinfo?hostID={host_id}"


def hostedit(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    """A host's capacity, description, comment, arches and channels, as kojiweb's hostedit saves them."""
    host = session.getHost(_id(form, "hostID"), strict=True)
    try:
        capacity = float(form.get("capacity", ""))
    except ValueError:
        raise PageError(400, "The capacity must be a number.") from None
    arches = " ".join(form.get("arches", "").split())
    wanted = {name for name in form.get("channels", "").split() if name}
    current = {c["name"] for c in session.listChannels(hostID=host["id"])}
    known = {c["name"] for c in session.listChannels()}
    unknown = sorted(wanted - known)
    if unknown:
        raise PageError(400, f"There is no channel {unknown[0]!r}.")
    with session.multicall(strict=True) as m:
        m.editHost(
            host["id"],
            arches=arches,
            capacity=capacity,
            description=form.get("description", ""),
            comment=form.get("comment", ""),
        )
        for name in sorted(wanted - current):
            m.addHostToChannel(host["name"], name)
        for name in sorted(current - wanted):
            m.removeHostFromChannel(host["name"], name)
    return f"/koji/hostinfo?hostID={host['id']}"


def hostedit_form(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    host = session.getHost(_id(query, "hostID"))
    if not host:
        raise PageError(404, f"There is no host {query.get('hostID')}.")
    channels = session.listChannels(hostID=host["id"])
    return "hostedit.html", {"host": host, "channels": " ".join(sorted(c["name"] for c in channels))}


ACTIONS: dict[str, Action] = {
    "canceltask": canceltask,
    "resubmittask": resubmittask,
    "freetask": freetask,
    "taskpriority": taskpriority,
    "cancelbuild": cancelbuild,
    "enablehost": enablehost,
    "disablehost": disablehost,
    "hostedit": hostedit,
}
ACTIONS.update(tag_edits.ACTIONS)
# Pages that show an action's form, with the permission a visitor needs to see it (admin has them all).
FORMS: dict[str, tuple[str, Callable[[ClientSession, dict[str, str]], tuple[str, dict]]]] = {
    "hostedit": ("admin", hostedit_form),
    **tag_edits.FORMS,
}


def form_values(raw: dict[str, list[str]]) -> dict[str, Any]:
    """A urlencoded form as name -> value (the last of repeated names)."""
    return {k: v[-1] for k, v in raw.items()}
