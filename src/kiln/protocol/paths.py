"""Where Koji's file layout puts things, relative to a topdir (a path or the hub's /kojifiles URL).

The CLI prints these paths (``buildinfo``, ``list-tagged --paths``) and
downloads from them (``download-build``, ``download-task``), so they are
Koji's: a build under ``packages/<name>/<version>/<release>``, an RPM
under ``<arch>/<nvra>.rpm`` inside it, a task's work directory at
``work/tasks/<id % 10000>/<id>``.  The hub files things by the same rules
(``kiln.hub.domain.rpms``); this module is the client side's copy of the
rules only, with no access to any file.
"""

from __future__ import annotations

from typing import Any

# koji's default topdir; `buildinfo` names files under it when no topdir is configured.
DEFAULT_TOPDIR = "/mnt/koji"


class PathInfo:
    """Paths under one topdir (a local directory or a URL: both are joined with ``/``)."""

    def __init__(self, topdir: str = DEFAULT_TOPDIR) -> None:
        self.topdir = topdir.rstrip("/") or "/"

    def volume_dir(self, volume: str | None) -> str:
        return self.topdir if volume in (None, "DEFAULT") else f"{self.topdir}/vol/{volume}"

    def build(self, build: dict[str, Any]) -> str:
        volume = self.volume_dir(build.get("volume_name"))
        return f"{volume}/packages/{build['name']}/{build['version']}/{build['release']}"

    def build_logs(self, build: dict[str, Any]) -> str:
        return f"{self.build(build)}/data/logs"

    @staticmethod
    def rpm(rpm: dict[str, Any]) -> str:
        """An RPM's path inside its build's directory."""
        return f"{rpm['arch']}/{rpm['name']}-{rpm['version']}-{rpm['release']}.{rpm['arch']}.rpm"

    def signed(self, rpm: dict[str, Any], sigkey: str) -> str:
        return f"data/signed/{sigkey}/{self.rpm(rpm)}"

    def repo(self, repo_id: int, tag_name: str) -> str:
        return f"{self.topdir}/repos/{tag_name}/{repo_id}"

    @staticmethod
    def task_relpath(task_id: int) -> str:
        return f"tasks/{task_id % 10000}/{task_id}"

    def work(self, volume: str | None = None) -> str:
        return f"{self.volume_dir(volume)}/work"

    def task(self, task_id: int, volume: str | None = None) -> str:
        return f"{self.work(volume)}/{self.task_relpath(task_id)}"
