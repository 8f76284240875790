"""Koji's build pipeline on the builder: ``build``, ``buildSRPMFromSCM``, ``rebuildSRPM`` and ``buildArch``.

Same names, arguments and results as kojid's, so the koji CLI's ``build``
and its watch output work unchanged:

- ``build(src, target, opts)`` is the parent.  It checks the target, the
  policies and the destination's package list, finds the build tag's repo
  (or waits for one in a ``waitrepo`` child), gets the SRPM (a
  ``buildSRPMFromSCM`` child for an SCM URL, a ``rebuildSRPM`` child for an
  upload unless the build tag says not to rebuild uploads),
  begins the build at the hub (``host.initBuild``), runs one ``buildArch``
  child per arch, imports the results (``host.completeBuild``) and tags the
  build in a ``tagBuild`` child.  On any failure the build is FAILED
  (``host.failBuild``) and the error goes up.  Scratch builds stay off the
  record: their files go to topdir/scratch (``host.moveBuildToScratch``).
  Run again under its id (its builder restarted), it first looks at the
  build its earlier run began and carries on from there (``achieved``).
- ``buildSRPMFromSCM(url, build_tag, opts)`` checks the URL out into a build
  root made from the tag's repo and runs ``rpmbuild -bs`` there;
  ``rebuildSRPM(srpm, build_tag, opts)`` runs ``rpmbuild -rs`` on an upload.
- ``buildArch(pkg, root, arch, keep_srpm, opts)`` runs ``rpmbuild --rebuild``
  in a build root holding the SRPM's BuildRequires, resolved against the
  tag's repo (``--nodeps``: rpm's own database on the builder is empty).

Build logs (``build.log``: rpmbuild's output; ``root.log``: what the build
root was made of) are uploaded into the task's output whether the build
worked or not.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import requests

from kiln.builder.buildroot import BuildRoot, BuildRootRequest
from kiln.builder.handler import RUN_FROM_START, BaseTaskHandler, task_output_dir
from kiln.builder.scm import SCM
from kiln.protocol import errors
from kiln.protocol.constants import BuildState, RepoState
from kiln.rpm import comps, srpms

RPMBUILD_TIMEOUT = 24 * 3600
BUILD_ARCH_WEIGHT = 1.5
# Inside the build root, where the build directory is seen.
INSIDE = Path("/builddir")


def _is_scm_url(src: Any) -> bool:
    return isinstance(src, str) and "://" in src


def work_file(options: Any, workdir: Path, relpath: Any) -> Path:
    """A file of the hub's work area: from the topdir mount if there is one, else fetched from topurl."""
    if not isinstance(relpath, str) or relpath.startswith("/") or ".." in relpath.split("/"):
        raise errors.BuildError(f"Invalid work path: {relpath!r}")
    topdir = getattr(options, "topdir", "") or ""
    if topdir:
        path = Path(topdir) / "work" / relpath
        if not path.is_file():
            raise errors.BuildError(f"file missing: work/{relpath}")
        return path
    topurl = getattr(options, "topurl", "") or ""
    if not topurl:
        raise errors.ConfigurationError("set topurl (or topdir) in the builder's config to read the work area")
    target = workdir / "fetched" / Path(relpath).name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with requests.get(f"{topurl.rstrip('/')}/work/{relpath}", stream=True, timeout=300) as reply:
            reply.raise_for_status()
            with open(target, "wb") as out:
                shutil.copyfileobj(reply.raw, out)
    except requests.RequestException as exc:
        raise errors.BuildError(f"cannot fetch work/{relpath}: {exc}") from None
    return target


def build_root_arch(arch: str, build_config: dict, host_arches: list[str]) -> str:
    """The arch to make a build root for: ``arch`` itself, or for noarch work the first of the tag's real arches
    this host has (else the tag's first).

    Never noarch or src: no repo is made for those (Koji's hub makes none
    either), and tags are often made with ``--arches "noarch x86_64"``.
    """
    tag_arches = [a for a in (build_config.get("arches") or "").split() if a not in ("noarch", "src")]
    if not tag_arches:
        raise errors.BuildError(f"No arches for tag {build_config['name']} [{build_config['id']}]")
    if arch not in ("noarch", "src"):
        return arch
    usable = [a for a in tag_arches if a in host_arches]
    return (usable or tag_arches)[0]


def choose_arches(tag_arches: list[str], header: srpms.SourceHeader, override: str | None = None) -> list[str]:
    """The arches to build, as Koji chooses them: the tag's, narrowed by the SRPM's BuildArch,
    ExclusiveArch and ExcludeArch (noarch when the package builds noarch), or a scratch build's
    ``arch_override``; only arches the tag has (and noarch) survive.
    """
    archlist = list(header.buildarchs) if header.buildarchs else list(tag_arches)
    if header.exclusivearch:
        archlist = [a for a in archlist if a in header.exclusivearch]
    if header.excludearch:
        archlist = [a for a in archlist if a not in header.excludearch]
    if "noarch" not in header.excludearch and ("noarch" in header.buildarchs or "noarch" in header.exclusivearch):
        archlist.append("noarch")
    if override:
        archlist = override.split()
    chosen = [a for a in dict.fromkeys(archlist) if a == "noarch" or a in tag_arches]
    if not chosen:
        raise errors.BuildError("No matching arches were found")
    return chosen


class BuildRootTask(BaseTaskHandler):
    """What the handlers that make a build root share: the tag's repo, the build root, its log, the files."""

    _root: BuildRoot | None = None

    def cleanup(self) -> None:
        if self._root is not None:
            self._root.destroy()
            self._root = None

    def repo_of(self, opts: dict | None) -> dict:
        repo_id = (opts or {}).get("repo_id")
        if not repo_id:
            raise errors.BuildError("A repo id must be provided")
        return self.session.repoInfo(repo_id, strict=True)

    def root_arch(self, arch: str, build_config: dict) -> str:
        """The arch of the build root (and the repo it is made from): a noarch build uses one of the tag's."""
        host_arches = self.session.host.getHost()["arches"].split() if arch == "noarch" else []
        return build_root_arch(arch, build_config, host_arches)

    def group_packages(self, tag: Any, group: str, event: int | None) -> list[str]:
        """The packages of the tag's comps group (``build``, ``srpm-build``), required groups included.

        Mandatory and default packages only, as mock installs a group; none
        when the tag has no such group (the root is then the builder's own
        tools, which give rpmbuild).
        """
        return comps.packages_of(self.session.getTagGroups(tag, event=event), group)

    def srpm_root(self, build_tag: Any, opts: dict | None, log: Path) -> BuildRoot:
        """A build root for making a source package: the tag's ``srpm-build`` group, from the repo ``opts`` names."""
        repo = self.repo_of(opts)
        build_config = self.session.getBuildConfig(build_tag, event=repo["create_event"])
        packages = self.group_packages(build_tag, "srpm-build", repo["create_event"])
        return self.make_root(repo, self.root_arch("noarch", build_config), packages, build_config, log)

    def make_root(self, repo: dict, arch: str, packages: list[str], build_config: dict, log: Path) -> BuildRoot:
        """The build root from ``repo`` for ``arch`` with ``packages``; ``log`` (root.log) says what it holds."""
        macros = {
            key.removeprefix("rpm.macro."): str(value)
            for key, value in (build_config.get("extra") or {}).items()
            if key.startswith("rpm.macro.")
        }
        location = self.repo_location(repo["tag_name"], repo["id"], arch)
        lines = [
            f"build root for {repo['tag_name']}, repo {repo['id']} (event {repo['create_event']}), arch {arch}",
            f"repo: {location}",
            f"requirements: {', '.join(packages) or '(none)'}",
        ]
        try:
            self._root = self.buildroot(BuildRootRequest(location, arch, packages, macros), repo_id=repo["id"])
        except errors.GenericError as exc:
            log.write_text("\n".join([*lines, f"cannot make the build root: {exc}"]) + "\n")
            raise
        lines.append(f"hub buildroot id: {self._root.hub_id}")
        lines.append("installed:")
        lines += [f"  {p.nvra}" for p in self._root.components] or ["  (nothing beyond the builder's own root)"]
        log.write_text("\n".join(lines) + "\n")
        return self._root

    def work_file(self, relpath: str) -> Path:
        return work_file(self.options, self.workdir, relpath)

    def upload_all(self, paths: list[Path]) -> list[str]:
        """Upload the files that exist; their work-relative paths."""
        uploaded = []
        for path in paths:
            if path.is_file():
                self.upload_file(path)
                uploaded.append(f"{task_output_dir(self.id)}/{path.name}")
        return uploaded

    def rpmbuild(self, root: BuildRoot, args: list[str], log: Path) -> int:
        """``rpmbuild`` inside, with its top directory and temporary files in the build directory."""
        for name in ("rpmbuild", "tmp", "result"):
            (root.builddir / name).mkdir(exist_ok=True)
        argv = [
            "rpmbuild",
            "--define",
            f"_topdir {INSIDE / 'rpmbuild'}",
            "--define",
            f"_tmppath {INSIDE / 'tmp'}",
            *args,
        ]
        with open(log, "a") as out:
            out.write(f"$ {' '.join(argv)}\n")
        return root.run(argv, log, timeout=RPMBUILD_TIMEOUT)

    def built_srpm(self, root: BuildRoot, status: int) -> str:
        """The one SRPM rpmbuild wrote into ``result/``, checked and uploaded; its work path."""
        if status != 0:
            raise errors.BuildError(f"error building srpm, rpmbuild exited with status {status} (see build.log)")
        found = sorted((root.builddir / "result").glob("*.src.rpm"))
        if len(found) != 1:
            raise errors.BuildError(f"expected one srpm from rpmbuild, found {[p.name for p in found]}")
        header = srpms.read(found[0])
        if header.filename != found[0].name:
            raise errors.BuildError(f"srpm name mismatch: {header.filename} != {found[0].name}")
        [srpm] = self.upload_all(found)
        self.cleanup()
        return srpm


class BuildArchTask(BuildRootTask):
    Methods = ["buildArch"]
    _taskWeight = BUILD_ARCH_WEIGHT

    def handler(self, pkg: str, root: Any, arch: str, keep_srpm: bool, opts: dict | None = None) -> dict:
        repo = self.repo_of(opts)
        source = self.work_file(pkg)
        header = srpms.read(source)
        if not header.source:
            raise errors.BuildError("not a source package")
        self.weigh_by_history(header.name)
        build_config = self.session.getBuildConfig(root, event=repo["create_event"])
        root_arch = self.root_arch(arch, build_config)
        packages = self.group_packages(root, "build", repo["create_event"]) + srpms.build_requires(source)
        root_log, build_log = self.workdir / "root.log", self.workdir / "build.log"
        try:
            broot = self.make_root(repo, root_arch, packages, build_config, root_log)
            shutil.copyfile(source, broot.builddir / source.name)
            args = [] if arch == "noarch" else ["--target", arch]
            args += ["--rebuild", "--nodeps", "--define", f"_rpmdir {INSIDE / 'result'}", f"{INSIDE}/{source.name}"]
            status = self.rpmbuild(broot, args, build_log)
        except BaseException:
            self.upload_all([build_log, root_log])
            raise
        logs = self.upload_all([build_log, root_log])
        if status != 0:
            raise errors.BuildError(
                f"error building package (arch {arch}), rpmbuild exited with status {status} (see build.log)"
            )
        built = sorted((broot.builddir / "result").rglob("*.rpm"))
        if not built:
            raise errors.BuildError(f"rpmbuild made no packages for arch {arch} (see build.log)")
        result = {"rpms": self.upload_all(built), "srpms": [], "logs": logs, "brootid": broot.hub_id}
        if keep_srpm:
            result["srpms"] = self.upload_all([source])
        self.cleanup()
        return result

    def weigh_by_history(self, name: str) -> None:
        """Koji's weight for a package's build: 1.5, plus 0.75 an hour its builds took lately (up to 18)."""
        average = self.session.getAverageBuildDuration(name, age=6)
        if average and average > 0:
            self.session.host.setTaskWeight(self.id, BUILD_ARCH_WEIGHT + min(18.0, average / 4800.0))


class BuildSRPMFromSCMTask(BuildRootTask):
    Methods = ["buildSRPMFromSCM"]
    _taskWeight = 1.0

    def handler(self, url: str, build_tag: Any, opts: dict | None = None) -> dict:
        scm = SCM.parse(url)
        root_log, build_log = self.workdir / "root.log", self.workdir / "build.log"
        try:
            broot = self.srpm_root(build_tag, opts, root_log)
            into = (broot.builddir / "scm").relative_to(self.workdir)
            checkout = self.checkout_scm(url, into=str(into))
            sourcedir = Path(checkout["path"])
            if scm.kind == "git" and scm.module:  # Subversion checks the module out by itself
                sourcedir = sourcedir / scm.module
            spec = self.find_spec(sourcedir, scm)
            inside = INSIDE / spec.parent.relative_to(broot.builddir)
            sources = inside
            if spec.parent.name == "SPECS" and (spec.parent.parent / "SOURCES").is_dir():
                sources = inside.parent / "SOURCES"  # rpmbuild's own layout
            status = self.rpmbuild(
                broot,
                [
                    "-bs",
                    "--nodeps",
                    "--define",
                    f"_sourcedir {sources}",
                    "--define",
                    f"_specdir {inside}",
                    "--define",
                    f"_srcrpmdir {INSIDE / 'result'}",
                    str(inside / spec.name),
                ],
                build_log,
            )
        except BaseException:
            self.upload_all([build_log, root_log])
            raise
        logs = self.upload_all([build_log, root_log])
        srpm = self.built_srpm(broot, status)
        base = url.rsplit("#", 1)[0]
        return {
            "srpm": srpm,
            "logs": logs,
            "brootid": broot.hub_id,
            "source": {"source": f"{base}#{checkout['commit']}", "url": url},
        }

    @staticmethod
    def find_spec(sourcedir: Path, scm: SCM) -> Path:
        """The one spec file (beside the sources, or in SPECS/); of several, the one named as the repository."""
        specs = sorted(sourcedir.glob("*.spec")) or sorted(sourcedir.glob("SPECS/*.spec"))
        if not specs:
            raise errors.BuildError("No spec file found")
        if len(specs) == 1:
            return specs[0]
        name = Path(scm.repository).name.removesuffix(".git")
        for candidate in (sourcedir / f"{name}.spec", sourcedir / "SPECS" / f"{name}.spec"):
            if candidate in specs:
                return candidate
        raise errors.BuildError(
            f"Multiple spec files found but none is matching SCM checkout dir name: {[s.name for s in specs]}"
        )


class RebuildSRPMTask(BuildRootTask):
    """Koji's rebuildSRPM: an uploaded SRPM made again in the build tag's root (its macros, its rpm)."""

    Methods = ["rebuildSRPM"]
    _taskWeight = 1.0

    def handler(self, srpm: str, build_tag: Any, opts: dict | None = None) -> dict:
        source = self.work_file(srpm)
        root_log, build_log = self.workdir / "root.log", self.workdir / "build.log"
        try:
            broot = self.srpm_root(build_tag, opts, root_log)
            (broot.builddir / "input").mkdir(exist_ok=True)
            shutil.copyfile(source, broot.builddir / "input" / source.name)
            args = ["-rs", "--nodeps", "--define", f"_srcrpmdir {INSIDE / 'result'}", f"{INSIDE}/input/{source.name}"]
            status = self.rpmbuild(broot, args, build_log)
        except BaseException:
            self.upload_all([build_log, root_log])
            raise
        logs = self.upload_all([build_log, root_log])
        rebuilt = self.built_srpm(broot, status)
        return {
            "srpm": rebuilt,
            "logs": logs,
            "brootid": broot.hub_id,
            "source": {"source": source.name, "url": source.name},
        }


class BuildTask(BaseTaskHandler):
    """The parent of a build: Koji's ``build`` task (see the module's docstring for the story)."""

    Methods = ["build"]
    _taskWeight = 0.2  # it mostly waits for its children

    def handler(self, src: Any, target: Any, opts: dict | None = None) -> None:
        self.opts = opts = dict(opts or {})
        self.source_info: dict | None = None
        scratch = bool(opts.get("scratch"))
        if opts.get("arch_override") and not scratch:
            raise errors.BuildError("arch_override is only allowed for scratch builds")
        if not isinstance(src, str) or not src:
            raise errors.BuildError(f"Invalid source specification: {src!r}")
        repo = self.given_repo(opts.get("repo_id"))
        self.event_id = repo["create_event"] if repo else None
        build_tag, dest_tag, dest_name = self.tags(target, repo)
        self.assert_policies(src, target, build_tag, dest_tag)
        if not _is_scm_url(src):
            # The uploaded SRPM names the package now: a build the destination refuses fails before any work.
            self.assert_listed(dest_tag, dest_name, srpms.read(self.fetch(src)).name)
        if repo is None:
            repo = self.find_repo(build_tag, opts.get("wait_builds"), bool(opts.get("wait_repo")))
            self.event_id = self.session.getLastEvent()["id"]
        srpm = self.get_srpm(src, build_tag, repo["id"])
        header = srpms.read(self.fetch(srpm))
        if not header.source:
            raise errors.BuildError(f"{srpm} is not a source package")
        self.assert_listed(dest_tag, dest_name, header.name)
        archlist = self.arch_list(build_tag, header)
        build_id = None if scratch else self.session.host.initBuild(self.build_data(header))
        try:
            srpm, rpms, brmap, logs = self.run_builds(srpm, build_tag, archlist, repo["id"])
            if scratch:
                self.session.host.moveBuildToScratch(self.id, srpm, rpms, logs)
            else:
                self.session.host.completeBuild(self.id, build_id, srpm, rpms, brmap, logs)
        except Exception:
            if build_id is not None:
                self.session.host.failBuild(self.id, build_id)
            raise
        if build_id is not None and not opts.get("skip_tag"):
            self.tag(dest_tag, build_id)

    def achieved(self, src: Any, target: Any, opts: dict | None = None) -> Any:
        """A rerun carries on from the build its earlier run began (a build names its task, as in Koji).

        None begun (or a scratch build, which is never on record): run from
        the start.  BUILDING: run again and adopt it, as Koji's initBuild
        does for "the controlling task restarted": initBuild gives the same
        build back and the children (srpm, one per arch) come back by label,
        finished or still running.  COMPLETE: nothing is built again; the
        build is tagged (the ``tag`` child, again by label: the earlier
        run's if it made one) and the task closes as a normal run does.
        FAILED, CANCELED or DELETED: the task fails saying so, since an
        N-V-R is built once.
        """
        earlier = self.session.listBuilds(taskID=self.id)
        if not earlier:
            return RUN_FROM_START
        build = max(earlier, key=lambda b: b["build_id"])
        state = BuildState(build["state"])
        if state == BuildState.BUILDING:
            self.logger.info(
                "build %s (id %s) of an earlier run is BUILDING: carrying on with it", build["nvr"], build["build_id"]
            )
            return RUN_FROM_START
        if state != BuildState.COMPLETE:
            raise errors.BuildError(
                f"an earlier run of task {self.id} left its build {build['nvr']} (id {build['build_id']}) "
                f"{state.name}; an N-V-R is built once"
            )
        self.logger.info(
            "build %s (id %s) of an earlier run is COMPLETE: not built again", build["nvr"], build["build_id"]
        )
        self.opts = dict(opts or {})
        repo = self.given_repo(self.opts.get("repo_id"))
        self.event_id = repo["create_event"] if repo else None
        _build_tag, dest_tag, _dest_name = self.tags(target, repo)
        if not self.opts.get("skip_tag"):
            self.tag(dest_tag, build["build_id"])
        return None

    # --- the steps ---------------------------------------------------------

    def tag(self, dest_tag: int, build_id: int) -> None:
        """The build into the destination, by a ``tagBuild`` child (labelled: a rerun gets the earlier run's)."""
        tagging = self.subtask("tagBuild", [dest_tag, build_id, False, None, True], label="tag", arch="noarch")
        self.wait(tagging)

    def given_repo(self, repo_id: Any) -> dict | None:
        if repo_id is None:
            return None
        repo = self.session.repoInfo(repo_id)
        if not repo:
            raise errors.BuildError(f"No such repo: {repo_id}")
        state = RepoState(repo["state"]).name
        if state not in ("READY", "EXPIRED"):
            raise errors.BuildError(f"Bad repo: {repo['id']} ({state})")
        return repo

    def tags(self, target: Any, repo: dict | None) -> tuple[int, int, str]:
        """(build tag id, destination tag id, destination name), from the target or the given repo."""
        target_info = self.session.getBuildTarget(target, event=self.event_id) if target else None
        if target_info:
            if repo is not None and repo["tag_id"] != target_info["build_tag"]:
                raise errors.BuildError(f"Repo/Target mismatch: {repo['tag_name']}/{target_info['build_tag_name']}")
            return target_info["build_tag"], target_info["dest_tag"], target_info["dest_tag_name"]
        if repo is None:
            raise errors.GenericError(f"unknown build target: {target}")
        if target is None:
            self.opts["skip_tag"] = True  # only a build tag: nothing to tag into
            return repo["tag_id"], repo["tag_id"], repo["tag_name"]
        tag = self.session.getTag(target, event=self.event_id)
        if not tag:
            raise errors.GenericError(f"neither tag nor target: {target}")
        return repo["tag_id"], tag["id"], tag["name"]

    def assert_policies(self, src: str, target: Any, build_tag: int, dest_tag: int) -> None:
        """The hub's build_from_srpm, build_from_repo_id and build_rpm policies, with Koji's data."""
        data = {
            "user_id": self.session.getTaskInfo(self.id)["owner"],
            "source": src,
            "task_id": self.id,
            "build_tag": build_tag,
            "skip_tag": bool(self.opts.get("skip_tag")),
            "scratch": self.opts.get("scratch"),
            "draft": self.opts.get("draft"),
            "from_scm": _is_scm_url(src),
            "repo_id": self.opts.get("repo_id"),
        }
        if target:
            data["target"] = target
        if not self.opts.get("skip_tag"):
            data["tag"] = dest_tag
        if not _is_scm_url(src) and not self.opts.get("scratch"):
            self.session.host.assertPolicy("build_from_srpm", data)
        if self.opts.get("repo_id") is not None:
            self.session.host.assertPolicy("build_from_repo_id", data)
        self.session.host.assertPolicy("build_rpm", data)

    def assert_listed(self, dest_tag: int, dest_name: str, package: str) -> None:
        """The destination lists the package and does not block it (a scratch or skip_tag build may go anyway)."""
        if self.opts.get("skip_tag") or self.opts.get("scratch"):
            return
        config = self.session.getPackageConfig(dest_tag, package, event=self.event_id)
        if config is None:
            raise errors.BuildError(f"package {package} not in list for tag {dest_name}")
        if config["blocked"]:
            raise errors.BuildError(f"package {package} is blocked for tag {dest_name}")

    def find_repo(self, build_tag: int, builds: Any, wait: bool) -> dict:
        """The tag's newest READY repo; if none, or asked to wait (for a current one, one with ``builds``): waitrepo."""
        if not wait and not builds:
            repo = self.session.getRepo(build_tag)
            if repo:
                return repo
        task_id = self.subtask("waitrepo", [build_tag, None, list(builds or []) or None, None], label="waitrepo")
        return self.wait(task_id)[task_id]

    def get_srpm(self, src: str, build_tag: int, repo_id: int) -> str:
        """The SRPM's work path, from a child: built from the SCM URL, or the upload rebuilt in the tag's root.

        An uploaded SRPM is used as it is when the build tag's ``rebuild_srpm``
        extra is false (a scratch build's ``rebuild_srpm`` option decides for it).
        """
        method = "buildSRPMFromSCM"
        if not _is_scm_url(src):
            rebuild = self.session.getBuildConfig(build_tag, event=self.event_id)["extra"].get("rebuild_srpm", True)
            if self.opts.get("scratch") and self.opts.get("rebuild_srpm") is not None:
                rebuild = self.opts["rebuild_srpm"]
            if not rebuild:
                return src
            method = "rebuildSRPM"
        args = [src, build_tag, {"repo_id": repo_id, "scratch": self.opts.get("scratch")}]
        task_id = self.subtask(method, args, label="srpm", arch="noarch")
        result = self.wait(task_id)[task_id]
        self.source_info = result.get("source")
        return result["srpm"]

    def fetch(self, relpath: str) -> Path:
        return work_file(self.options, self.workdir, relpath)

    def build_data(self, header: srpms.SourceHeader) -> dict:
        data: dict[str, Any] = {
            "name": header.name,
            "version": header.version,
            "release": header.release,
            "epoch": header.epoch,
            "task_id": self.id,
        }
        if self.source_info:
            data["source"] = self.source_info["source"]
            data["extra"] = {"source": {"original_url": self.source_info["url"]}}
        if self.opts.get("custom_user_metadata"):
            data.setdefault("extra", {})["custom_user_metadata"] = self.opts["custom_user_metadata"]
        return data

    def arch_list(self, build_tag: int, header: srpms.SourceHeader) -> list[str]:
        config = self.session.getBuildConfig(build_tag, event=self.event_id)
        tag_arches = (config.get("arches") or "").split()
        if not tag_arches:
            raise errors.BuildError(f"No arches for tag {config['name']} [{config['id']}]")
        override = self.opts.get("arch_override") if self.opts.get("scratch") else None
        return choose_arches(tag_arches, header, override)

    def run_builds(self, srpm: str, build_tag: int, archlist: list[str], repo_id: int) -> tuple:
        """One buildArch child per arch (the first keeps the SRPM); their results merged for completeBuild."""
        children = {}
        for index, arch in enumerate(archlist):
            args = [srpm, build_tag, arch, index == 0, {"repo_id": repo_id}]
            children[arch] = self.subtask("buildArch", args, label=arch, arch=arch)
        results = self.wait(list(children.values()), all=True, failany=True)
        rpms: list[str] = []
        brmap: dict[str, int] = {}
        logs: dict[str, list[str]] = {}
        built_srpm = None
        for arch, task_id in children.items():
            result = results[task_id]
            for path in result["rpms"]:
                rpms.append(path)
                brmap[path] = result["brootid"]
            logs.setdefault(arch, []).extend(result["logs"])
            if result["srpms"]:
                if built_srpm:
                    raise errors.BuildError(f"multiple builds returned a srpm.  task {self.id}")
                built_srpm = result["srpms"][0]
                brmap[built_srpm] = result["brootid"]
        if not built_srpm:
            raise errors.BuildError("could not find a built srpm")
        return built_srpm, rpms, brmap, logs


class ChainBuildTask(BaseTaskHandler):
    """Koji's chainbuild: levels of builds; each level is built, then waited for in the build tag's repo.

    A level's sources are SCM URLs (a ``build`` child each) or N-V-Rs of
    builds made elsewhere, which the next levels also wait for.
    """

    Methods = ["chainbuild"]
    _taskWeight = 0.1

    def handler(self, srcs: list, target: Any, opts: dict | None = None) -> None:
        target_info = self.session.getBuildTarget(target, strict=True)
        nvrs: list[str] = []
        for n, level in enumerate(srcs):
            children = [
                self.subtask("build", [src, target, dict(opts or {})], label=f"{n}:{i}")
                for i, src in enumerate(level)
                if _is_scm_url(src)
            ]
            nvrs += [src for src in level if not _is_scm_url(src)]
            if children:
                self.wait(children, all=True, failany=True)
                for child in children:
                    nvrs += [b["nvr"] for b in self.session.listBuilds(taskID=child)]
            if n < len(srcs) - 1 and nvrs:
                self.logger.info("level %s built; waiting for %s in %s's repo", n, nvrs, target_info["build_tag_name"])
                waiter = self.subtask("waitrepo", [target_info["build_tag"], None, list(nvrs)], label=f"wait {n}")
                self.wait(waiter, all=True, failany=True)


HANDLERS = [BuildTask, BuildSRPMFromSCMTask, RebuildSRPMTask, BuildArchTask, ChainBuildTask]
