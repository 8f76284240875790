"""Task labels as koji prints them: ``build (dest, kiln-hello-1.0-1.src.rpm)``, ``buildArch (x.src.rpm, noarch)``.

The CLI and the web show them. Scripts parse the lines of ``watch-task``, ``list-tasks``, ``taskinfo`` and
``buildinfo``, so the label is koji's, word for word: ``METHOD (EXTRA)``, or
``METHOD (ARCH)`` when the method carries nothing worth showing.  A task's
request is a positional list (keyword arguments travel in a trailing
``__starstar`` dict); :data:`SIGNATURES` names the positions of the methods
kiln's builders run, so the label reads arguments by name; a plugin's
methods come from the ``kiln_task_methods`` hook (kiln.client.task_methods).
"""

from __future__ import annotations

import os
from typing import Any

from kiln.protocol.xmlrpc import decode_args

# method -> (argument names, how many trailing ones have defaults)
SIGNATURES: dict[str, tuple[tuple[str, ...], int]] = {
    "build": (("src", "target", "opts"), 1),
    "chainbuild": (("srcs", "target", "opts"), 1),
    "buildSRPMFromSCM": (("url", "build_tag", "opts"), 1),
    "rebuildSRPM": (("srpm", "build_tag", "opts"), 1),
    "buildArch": (("pkg", "root", "arch", "keep_srpm", "opts"), 1),
    "tagBuild": (("tag_id", "build_id", "force", "fromtag", "ignore_success"), 3),
    "tagNotification": (
        (
            "recipients",
            "is_successful",
            "tag_info",
            "from_info",
            "build_info",
            "user_info",
            "ignore_success",
            "failure_msg",
        ),
        2,
    ),
    "buildNotification": (("recipients", "build", "target", "weburl"), 0),
    "newRepo": (("tag", "event", "src", "debuginfo", "separate_src", "opts"), 5),
    "createrepo": (("repo_id", "arch", "oldrepo"), 0),
    "waitrepo": (("tag", "newer_than", "nvrs", "min_event"), 3),
    "dependantTask": (("wait_list", "task_list"), 0),
    "sleep": (("n",), 0),
    "fork": (("n", "m"), 2),
    "subtask": (("n",), 1),
    "waittest": (("count", "seconds"), 1),
    "shutdown": ((), 0),
    "restart": (("host",), 0),
    "restartVerify": (("task_id", "host"), 0),
    # Methods kiln's builders do not run (Maven, images), which other hubs' tasks
    # or plugins may carry: their labels are koji's too.
    "maven": (("url", "target", "opts"), 1),
    "buildMaven": (("url", "build_tag", "opts"), 1),
    "chainmaven": (("builds", "target", "opts"), 1),
    "wrapperRPM": (("spec_url", "build_target", "build", "task", "opts"), 1),
    "livecd": (("name", "version", "arch", "target", "ksfile", "opts"), 1),
    "appliance": (("name", "version", "arch", "target", "ksfile", "opts"), 1),
    "image": (("name", "version", "arches", "target", "inst_tree", "opts"), 1),
    "livemedia": (("name", "version", "arches", "target", "ksfile", "opts"), 1),
    "indirectionimage": (("opts",), 0),
    **{
        method: (("name", "version", "release", "arch", "target_info", "build_tag", "repo_info", source, "opts"), 1)
        for method, source in (
            ("createLiveCD", "ksfile"),
            ("createAppliance", "ksfile"),
            ("createLiveMedia", "ksfile"),
            ("createImage", "inst_tree"),
        )
    },
}
_IMAGES = ("livecd", "appliance", "image", "livemedia")
_CREATE_IMAGES = ("createLiveCD", "createAppliance", "createImage", "createLiveMedia")


class _BadArguments(Exception):
    pass


def task_params(method: str, request: list[Any]) -> dict[str, Any] | None:
    """The request's arguments by name; None for a method kiln knows no signature of.

    Raises :class:`_BadArguments` when the request does not fit the signature.
    """
    if len(request) == 1 and isinstance(request[0], dict) and "__method__" in request[0]:
        return {k: v for k, v in request[0].items() if k != "__method__"}
    signature = SIGNATURES.get(method) or _plugin_signature(method)
    if signature is None:
        return None
    args, kwargs = decode_args(request)
    names, defaulted = signature
    if len(args) > len(names) or set(kwargs) - set(names):
        raise _BadArguments(method)
    params = dict(zip(names, args, strict=False))
    for name in names[len(args) :]:
        if name in kwargs:
            params[name] = kwargs[name]
        elif names.index(name) < len(names) - defaulted:
            raise _BadArguments(method)
        else:
            params[name] = None
    return params


def _plugin_method(method: str) -> Any:
    """A plugin's TaskMethod (kiln.client.task_methods), looked for only for methods kiln does not know."""
    from kiln.client.task_methods import plugin_methods

    return plugin_methods().get(method)


def _plugin_signature(method: str) -> tuple[tuple[str, ...], int] | None:
    found = _plugin_method(method)
    return (found.arguments, found.defaults) if found is not None else None


def module_info(url: str) -> str:
    """An SCM URL as koji labels it: the path after the host, then ``:query`` and ``:fragment``."""
    query = url[url.find("?") + 1 : url.find("#")] if "?" in url else ""
    start = url.find("/", url.find("://") + 3)
    end = url.find("?")
    if end == -1:
        end = url.find("#")
    path = url[start:end]
    fragment = url[url.find("#") + 1 :]
    return f"{path}:{query}:{fragment}" if query else f"{path}:{fragment}"


def _name(value: Any) -> str:
    return str(value["name"]) if isinstance(value, dict) else str(value)


def _nvr(build: dict[str, Any]) -> str:
    return f"{build['name']}-{build['version']}-{build['release']}"


def _extra(method: str, params: dict[str, Any]) -> str:
    if method in ("build", "maven"):
        src = params.get("src") or params.get("url")
        source = module_info(src) if "://" in src else os.path.basename(src)
        return f"{_name(params.get('target') or params.get('build_tag'))}, {source}"
    if method == "buildSRPMFromSCM":
        return module_info(params["url"])
    if method == "buildArch":
        return f"{os.path.basename(_name(params['pkg']))}, {params['arch']}"
    if method == "buildNotification":
        return _nvr(params["build"])
    if method == "buildMaven":
        return str(params["build_tag"]["name"])
    if method == "wrapperRPM":
        target = str(params["build_target"]["name"])
        return f"{target}, {_nvr(params['build'])}" if params["build"] else target
    if method == "indirectionimage":
        opts = params["opts"]
        return f"{opts['name']}, {opts['version']}, {opts['release']}"
    if method in ("restart", "restartVerify"):
        return str(params["host"]["name"])
    if method in _IMAGES:
        source = params.get("ksfile") or params.get("inst_tree")
        return f"{params.get('arch') or params.get('arches')}, {params['name']}-{params['version']}, {source}"
    if method in _CREATE_IMAGES:
        source = params.get("ksfile") or params.get("inst_tree")
        nvr = f"{params['name']}-{params['version']}-{params['release']}"
        return f"{params['target_info']['name']}, {nvr}, {source}, {params['arch']}"
    if method == "newRepo":
        return _name(params["tag"])
    if method == "createrepo":
        return str(params["arch"])
    if method == "dependantTask":
        return ", ".join(str(subtask[0]) for subtask in params["task_list"])
    if method in ("chainbuild", "chainmaven"):
        return _name(params["target"])
    if method == "waitrepo":
        extra = _name(params["tag"])
        if isinstance(params.get("nvrs"), list):
            extra += ", " + ", ".join(params["nvrs"])
        return extra
    return ""


def task_label(task: dict[str, Any]) -> str:
    """Koji's label of a task dict (``method``, ``arch``, and ``request`` as a decoded list)."""
    try:
        method, arch = task["method"], task["arch"]
        try:
            params = task_params(method, task["request"])
        except _BadArguments:
            return f"{method} ({arch}, unknown args)"
        extra = _extra(method, params) if params is not None else ""
        plugin = None if method in SIGNATURES else _plugin_method(method)
        if plugin is not None and plugin.label is not None and params is not None:
            extra = plugin.label(params)
        return f"{method} ({extra or arch})"
    except Exception:  # a label is never worth a traceback: koji prints this too
        return "malformed task"
