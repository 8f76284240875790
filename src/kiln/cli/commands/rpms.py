"""The RPMs area: rpminfo, list-buildroot, and search over the hub's names."""

from __future__ import annotations

from typing import Any

from kiln.cli.commands import add_command
from kiln.cli.commands.builds import path_info
from kiln.cli.context import CommandError, Context, UsageError, add_json_option, print_json

# koji's search types, in the order its usage lists them
SEARCH_TYPES = ("package", "build", "tag", "target", "user", "host", "rpm", "maven", "win")


def _epoch(rpm: dict[str, Any]) -> str:
    return "" if rpm["epoch"] is None else f"{rpm['epoch']}:"


def _digest_lines(info: dict[str, Any]) -> list[str]:
    """The header digests the hub reports, else the payload hash under koji's compat label."""
    lines = [
        f"{key.upper()}: {info[key]}"
        for key in ("sigmd5", "sha1header", "sha256header", "sha3_256header")
        if info.get(key)
    ]
    if lines:
        return lines
    label = "Legacy digest" if "::" in info["payloadhash"] else "SIGMD5"
    return [f"{label}: {info['payloadhash']}"]


def _print_buildroot(session: Any, buildroot_id: int | None) -> None:
    if buildroot_id is None:
        print("No buildroot data available")
        return
    root = session.getBuildroot(buildroot_id)
    if root["br_type"] == 0:
        print(f"Buildroot: {root['id']} (tag {root['tag_name']}, arch {root['arch']}, repo {root['repo_id']})")
        print(f"Build Host: {root['host_name']}")
        print(f"Build Task: {root['task_id']}")
    else:
        print(f"Content generator: {root['cg_name']}")
        print(f"Buildroot: {root['id']}")
        print(f"Build Host OS: {root['host_os']} ({root['host_arch']})")


def _print_rpm(ctx: Context, info: dict[str, Any]) -> None:
    import time

    session = ctx.session()
    external = info.get("external_repo_id")
    print(f"RPM: {_epoch(info)}{info['name']}-{info['version']}-{info['release']}.{info['arch']} [{info['id']}]")
    if info.get("draft"):
        print("Draft: YES")
    if external:
        repo = session.getExternalRepo(external)
        print(f"External Repository: {repo['name']} [{repo['id']}]")
        print(f"External Repository url: {repo['url']}")
    else:
        build = info["build"]
        paths = path_info(ctx)
        srpm = info["srpm"]
        print(f"Build: {build['nvr']} [{build['id']}]")
        print(f"RPM Path: {paths.build(build)}/{paths.rpm(info)}")
        if srpm:
            print(f"SRPM: {_epoch(srpm)}{srpm['name']}-{srpm['version']}-{srpm['release']} [{srpm['id']}]")
            print(f"SRPM Path: {paths.build(build)}/{paths.rpm(srpm)}")
        else:
            print("SRPM: (none)")
            print("SRPM Path: (none)")
        print(f"Built: {time.strftime('%a, %d %b %Y %H:%M:%S %Z', time.localtime(info['buildtime']))}")
    for line in _digest_lines(info):
        print(line)
    print(f"Size: {info['size']}")
    if not external:
        headers = session.getRPMHeaders(rpmID=info["id"], headers=["license"])
        if "license" in headers:
            print(f"License: {headers['license']}")
        print(f"Build ID: {info['build_id']}")
    _print_buildroot(session, info["buildroot_id"])
    if info.get("extra"):
        print(f"Extra: {info['extra']!r}")
    if ctx.options.buildroots:
        roots = info["buildroots"]
        print(f"Used in {len(roots)} buildroots:")
        if roots:
            print(f"  {'id':>8} {'build tag':<28} {'arch':<8} {'build host':<29}")
            print(f"  {'-' * 8} {'-' * 28} {'-' * 8} {'-' * 29}")
        for root in roots:
            print(f"  {root['id']:>8} {root['tag_name']!s:<28} {root['arch']:<8} {root['host_name']!s:<29}")


def handle_rpminfo(ctx: Context) -> int:
    """Each RPM named (N-V-R.A or id): its build, source RPM, digests, build root, as koji prints them.

    With ``--json``, getRPM's answer with the hub's ``build``, ``srpm`` and,
    with --buildroots, ``buildroots``.
    """
    session = ctx.session()
    found = []
    missing = False
    for word in ctx.options.rpms:
        info = session.getRPM(int(word) if word.isdigit() else word)
        if info is None:
            import sys

            print(f"No such rpm: {word}\n", file=sys.stderr)
            missing = True
            continue
        info = dict(info)
        if not info.get("external_repo_id"):
            info["build"] = session.getBuild(info["build_id"])
            srpms = [info] if info["arch"] == "src" else session.listRPMs(buildID=info["build_id"], arches="src")
            info["srpm"] = {k: v for k, v in srpms[0].items() if k not in ("build", "srpm")} if srpms else None
        if ctx.options.buildroots:
            info["buildroots"] = session.listBuildroots(rpmID=info["id"], queryOpts={"order": "buildroot.id"})
        found.append(info)
        if not ctx.json:
            _print_rpm(ctx, info)
    if ctx.json:
        print_json(found)
    return 1 if missing else 0


def handle_list_buildroot(ctx: Context) -> int:
    """The RPMs installed in a build root (or, with --built, made in it), sorted by N-V-R.A."""
    options = ctx.options
    try:
        buildroot_id = int(options.buildroot)
    except ValueError:
        raise CommandError(f"invalid buildroot id: {options.buildroot}") from None
    session = ctx.session()
    query = {"buildrootID" if options.built else "componentBuildrootID": buildroot_id}
    rpms = session.listRPMs(**query)
    archives = session.listArchives(**query)
    if ctx.json:
        print_json({"rpms": rpms, "archives": archives})
        return 0
    if rpms:
        print("Built RPMs:" if options.built else "Component RPMs:")
    for nvra, rpm in sorted((f"{rpm['nvr']}.{rpm['arch']}", rpm) for rpm in rpms):
        line = nvra
        if options.verbose:
            if rpm.get("draft"):
                line += f" (,draft_{rpm['build_id']})"
            if rpm.get("is_update"):
                line += " [update]"
        print(line)
    if archives:
        if rpms:
            print("")
        print("Built Archives:" if options.built else "Component Archives:")
    for filename in sorted(archive["filename"] for archive in archives):
        print(filename)
    return 0


def handle_search(ctx: Context) -> int:
    """Names of one kind (package, build, tag, ...) matching a glob, a regular expression, or exactly."""
    options = ctx.options
    kind, pattern = options.type, options.pattern
    if kind not in SEARCH_TYPES:
        raise UsageError(f"No such search type: {kind}")
    match = "regexp" if options.regex else "exact" if options.exact else "glob"
    found = ctx.session().search(pattern, kind, match)
    if ctx.json:
        print_json(found)
        return 0
    for row in found:
        print(row["name"])
    return 0


def register(subparsers: Any) -> None:
    """Add the RPMs commands."""
    rpminfo = add_command(subparsers, "rpminfo", handle_rpminfo)
    rpminfo.add_argument("rpms", nargs="+", metavar="n-v-r.a", help="RPMs by N-V-R.A or id")
    rpminfo.add_argument("--buildroots", action="store_true", help="show the build roots the RPM was used in")
    add_json_option(rpminfo)

    buildroot = add_command(subparsers, "list-buildroot", handle_list_buildroot)
    buildroot.add_argument("buildroot", metavar="buildroot-id")
    buildroot.add_argument("--built", action="store_true", help="show the built RPMs and archives")
    buildroot.add_argument("-v", "--verbose", action="store_true", help="show more information")
    add_json_option(buildroot)

    search = add_command(subparsers, "search", handle_search, description=f"types: {', '.join(SEARCH_TYPES)}")
    search.add_argument("type", metavar="search_type", help=f"one of {', '.join(SEARCH_TYPES)}")
    search.add_argument("pattern")
    search.add_argument("-r", "--regex", action="store_true", help="treat the pattern as a regular expression")
    search.add_argument("--exact", action="store_true", help="exact matches only")
    add_json_option(search)
