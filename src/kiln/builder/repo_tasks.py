"""Koji's repo tasks: ``newRepo`` (with a ``createrepo`` child per arch) and ``waitrepo``.

newRepo asks the hub to lay out the repo (host.repoInit writes the package
lists under topdir/repos), has each arch's metadata made by a createrepo
child and hands the uploaded metadata back (host.repoDone).  createrepo
reads the packages through the builder's read-only topdir mount, as
kojid's does, and updates from the tag's previous repo so that unchanged
packages are not read again.  The builder never writes to topdir.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from kiln.builder.handler import RUN_FROM_START, BaseTaskHandler, task_output_dir
from kiln.protocol import errors
from kiln.protocol.constants import RepoState

CREATEREPO = "createrepo_c"
# How often waitrepo looks at its request; a repo takes seconds to make.
WAITREPO_POLL_SECONDS = 0.25


def _topdir(options: Any) -> Path:
    topdir = getattr(options, "topdir", "") or ""
    if not topdir or not Path(topdir).is_dir():
        raise errors.ConfigurationError(
            f"repo tasks read the hub's topdir: set topdir to a mount of it ({topdir!r} is no directory)"
        )
    return Path(topdir)


class NewRepoTask(BaseTaskHandler):
    Methods = ["newRepo"]
    _taskWeight = 0.1
    # The INIT repo an earlier run of this task began (``achieved``): a rerun makes that one, not another.
    earlier_repo: dict | None = None

    def achieved(self, *args: Any, **kwargs: Any) -> Any:
        """A rerun carries on with the repo its earlier run began (a repo names its task).

        INIT: the same repo is made (its createrepo children come back by
        label, made for it); READY or EXPIRED (repoDone was said): the task
        closes with it, as its earlier run would have; any other state fails.
        """
        found = self.session.repo.query([["task_id", "=", self.id]], None, {"order": "-id", "limit": 1})
        if not found:
            return RUN_FROM_START
        repo = found[0]
        state = RepoState(repo["state"])
        if state == RepoState.INIT:
            self.logger.info("repo %s of an earlier run is INIT: making that one", repo["id"])
            self.earlier_repo = repo
            return RUN_FROM_START
        if state in (RepoState.READY, RepoState.EXPIRED):
            return [repo["id"], repo["create_event"]]
        raise errors.GenericError(f"an earlier run of task {self.id} left its repo {repo['id']} {state.name}")

    def handler(
        self,
        tag: Any,
        event: int | None = None,
        src: bool | None = None,
        debuginfo: bool | None = None,
        separate_src: bool | None = None,
        opts: dict | None = None,
    ) -> list:
        named = (("src", src), ("debuginfo", debuginfo), ("separate_src", separate_src))
        legacy = {k: bool(v) for k, v in named if v is not None}
        if legacy:
            if opts is not None:
                raise errors.ParameterError("opts parameter cannot be combined with legacy options")
            opts = legacy
        topdir = _topdir(self.options)
        tag_info = self.session.getTag(tag, strict=True, event=event)
        old = self.session.getRepo(tag_info["id"])
        kwargs: dict[str, Any] = {"task_id": self.id, "opts": opts}
        if event is not None:
            kwargs["event"] = event
        if self.earlier_repo is not None:
            repo_id, event_id = self.earlier_repo["id"], self.earlier_repo["create_event"]
        else:
            repo_id, event_id = self.session.host.repoInit(tag_info["id"], **kwargs)
        path = topdir / "repos" / tag_info["name"] / str(repo_id)
        arches = sorted(p.name for p in path.iterdir() if (p / "pkglist").is_file()) if path.is_dir() else []
        self.logger.info("repo %s of %s at event %s: arches %s", repo_id, tag_info["name"], event_id, arches)
        children = {
            arch: self.subtask("createrepo", [repo_id, arch, old], label=arch, arch="noarch") for arch in arches
        }
        data = {}
        if children:
            results = self.wait(list(children.values()), all=True, failany=True)
            data = {arch: results[task_id] for arch, task_id in children.items()}
        self.session.host.repoDone(repo_id, data)
        return [repo_id, event_id]


class CreaterepoTask(BaseTaskHandler):
    Methods = ["createrepo"]
    _taskWeight = 1.5

    def handler(self, repo_id: int, arch: str, oldrepo: dict | None) -> list:
        repo = self.session.repoInfo(repo_id, strict=True)
        if repo["state"] != RepoState.INIT:
            raise errors.GenericError(f"Repo {repo_id} not in INIT state (got {RepoState(repo['state']).name})")
        topdir = _topdir(self.options)
        repo_dir = topdir / "repos" / repo["tag_name"] / str(repo_id)
        arch_dir = repo_dir / arch
        if not arch_dir.is_dir():
            raise errors.GenericError(f"Repo directory missing: {arch_dir}")
        out = self.workdir / "repo"
        datadir = out / "repodata"
        out.mkdir(parents=True, exist_ok=True)
        pkglist = arch_dir / "pkglist"
        empty = pkglist.stat().st_size == 0
        cmd = [CREATEREPO, "--error-exit-val", "--quiet", "--no-database", "-o", str(out)]
        if not empty:
            cmd += ["-i", str(pkglist)]
        comps = repo_dir / "groups" / "comps.xml"
        if comps.is_file():
            cmd += ["-g", str(comps)]
        if not empty and oldrepo:
            old_data = topdir / "repos" / oldrepo["tag_name"] / str(oldrepo["id"]) / arch / "repodata"
            if old_data.is_dir():
                # Unchanged packages (same path, size and mtime) keep their metadata: not read again.
                shutil.copytree(old_data, datadir)
                cmd.append("--update")
        cmd.append(str(out if empty else arch_dir))
        log_path = self.workdir / "createrepo.log"
        started = time.monotonic()
        with open(log_path, "ab") as log:
            status = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
        self.logger.info("createrepo_c for %s took %.2f s", arch, time.monotonic() - started)
        if status != 0:
            self.upload_file(log_path)
            raise errors.GenericError(f"failed to create repo: {' '.join(cmd)} exited with status {status}")
        if empty:
            (datadir / "EMPTY_REPO").write_text("This repo is empty because its tag has no content for this arch\n")
        files = sorted(os.listdir(datadir))
        for name in files:
            self.upload_file(datadir / name)
        return [task_output_dir(self.id), files]


class WaitrepoTask(BaseTaskHandler):
    """Wait until the tag has a READY repo new enough (and holding ``nvrs``); the repo, as Koji's waitrepo.

    It asks for one (repo.request), so a repo is made if none is coming.
    """

    Methods = ["waitrepo"]
    _taskWeight = 0.2
    TIMEOUT = 120 * 60

    def handler(self, tag: Any, newer_than: Any = None, nvrs: list | None = None, min_event: int | None = None) -> dict:
        tag_info = self.session.getTag(tag, strict=True)
        nvrs = list(nvrs or [])
        wanted: Any = min_event if min_event is not None else "last"
        if newer_than is not None:
            # Newer than a moment: made at or after the last event up to it ("now": up to now).
            before = None if str(newer_than).lower() == "now" else float(newer_than)
            last = self.session.getLastEvent(before=before)["id"]
            wanted = max(int(min_event), last) if min_event is not None else last
        started = time.monotonic()
        while True:
            answer = self.session.repo.request(tag_info["id"], min_event=wanted)
            repo = answer["repo"]
            while repo is None:
                if time.monotonic() - started > self.TIMEOUT:
                    raise errors.GenericError(f"no repo for tag {tag_info['name']} within {self.TIMEOUT} seconds")
                time.sleep(WAITREPO_POLL_SECONDS)
                check = self.session.repo.checkRequest(answer["request"]["id"])
                repo = check["repo"]
                if repo is None and not check["request"]["active"]:
                    raise errors.GenericError(
                        f"Repo request {check['request']['id']} for {tag_info['name']} was given up "
                        f"after {check['request']['tries']} tries: no repo"
                    )
            if self._holds(tag_info, repo, nvrs):
                self.logger.info("repo %s of %s is ready", repo["id"], tag_info["name"])
                return repo
            if time.monotonic() - started > self.TIMEOUT:
                raise errors.GenericError(f"no suitable repo for tag {tag_info['name']} within {self.TIMEOUT} seconds")
            time.sleep(WAITREPO_POLL_SECONDS)
            wanted = "last"

    def _holds(self, tag_info: dict, repo: dict, nvrs: list) -> bool:
        for nvr in nvrs:
            name = nvr.rsplit("-", 2)[0]
            tagged = self.session.listTagged(
                tag_info["id"], event=repo["create_event"], package=name, inherit=True, latest=True
            )
            if not any(build["nvr"] == nvr for build in tagged):
                return False
        return True


HANDLERS = [NewRepoTask, CreaterepoTask, WaitrepoTask]
