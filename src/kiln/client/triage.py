"""Why a task or a build failed, found the way a person would: the first error of the log that failed.

The web's task and build pages show it at the top and ``kiln why`` prints
it, from this one function.  In a failed tree, the task to read is the
deepest one that failed (a buildArch rather than the build that failed
because of it).  An RPM build's answer is the first ``error:`` line of its
build.log with the lines that led up to it; a build root's, the
dependencies nothing provides (from the fault, and root.log's line if it
has one); any other failure, the task's fault.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from kiln.protocol.constants import TaskState

CONTEXT_LINES = 8
MAX_LOG_BYTES = 8 * 1024 * 1024
ERROR_LINE = re.compile(r"\berror:", re.IGNORECASE)
MISSING = re.compile(r"nothing in the build tag's repo provides: (.+)")


@dataclass
class Finding:
    """The failed task, what went wrong in a sentence, and the log lines that show it."""

    task_id: int
    method: str
    summary: str
    log: str = ""  # the output file the lines are from
    line: int = 0  # the error's line number in it, from 1
    offset: int = 0  # the byte offset of the first line shown (for a link into the log)
    lines: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def failed_task(session: Any, task_id: int, root: dict | None = None, tree: dict | None = None) -> dict | None:
    """The deepest failed task of a tree (the root if it failed alone), or None if none failed.

    ``root`` and ``tree`` (getTaskInfo's and getTaskDescendents' answers) when the caller has them.
    """
    root = root or session.getTaskInfo(task_id)
    if not root:
        return None
    tree = session.getTaskDescendents(task_id) if tree is None else tree
    failed = [t for rows in tree.values() for t in rows if t["state"] == TaskState.FAILED]
    parents = {t["parent"] for t in failed}
    leaves = sorted((t for t in failed if t["id"] not in parents), key=lambda t: t["id"])
    if leaves:
        return leaves[0]
    return root if root["state"] == TaskState.FAILED else None


def why_failed(session: Any, task_id: int, root: dict | None = None, tree: dict | None = None) -> Finding | None:
    """What made the tree of ``task_id`` fail, or None if nothing in it failed (``root``, ``tree``: as
    failed_task takes them)."""
    task = failed_task(session, task_id, root, tree)
    if task is None:
        return None
    result = session.getTaskResult(task["id"], raise_fault=False)
    fault = result.get("faultString", "") if isinstance(result, dict) else ""
    finding = Finding(task["id"], task["method"], fault.strip().splitlines()[-1] if fault.strip() else "failed")
    outputs = session.listTaskOutput(task["id"])
    missing = MISSING.search(fault)
    if missing:
        finding.missing = [name.strip() for name in missing[1].split(",")]
        finding.summary = f"Missing build dependencies: {', '.join(finding.missing)}"
        if "root.log" in outputs:
            _find(session, finding, "root.log", MISSING)
        return finding
    for log in ("build.log", "root.log"):
        if log in outputs and _find(session, finding, log, ERROR_LINE):
            finding.summary = finding.lines[-1].strip()
            return finding
    return finding


def _find(session: Any, finding: Finding, log: str, pattern: re.Pattern) -> bool:
    """The first line of ``log`` matching ``pattern``, with the lines before it, into ``finding``."""
    data = base64.b64decode(session.downloadTaskOutput(finding.task_id, log, 0, MAX_LOG_BYTES))
    raw = data.splitlines(keepends=True)  # bytes: the offset must count the log's own bytes
    lines = [line.decode("utf-8", errors="replace").rstrip("\r\n") for line in raw]
    for number, text in enumerate(lines):
        if pattern.search(text):
            first = max(0, number - CONTEXT_LINES)
            finding.log, finding.line = log, number + 1
            finding.offset = sum(len(line) for line in raw[:first])
            finding.lines = lines[first : number + 1]
            return True
    return False
