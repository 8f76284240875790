"""Every method kiln exports accepts Koji's parameters, by position and by name.

tests/data/koji_hub_params.json holds the parameter names of every method of
Koji's hub (master as of 2025-07, the same names as 1.35.3 but for
``listBuilds``' three newer filters): for each, the named parameters in
order, how many trailing ones have defaults, and the names of ``*args`` and
``**kwargs``.  It was read from the hub's own method registry, as Koji's
``devtools/check-api`` does; Koji's ``tests/test_api/data/api.json`` predates
its ``repo.*`` methods.

A client sends keywords as a ``__starstar`` struct that the dispatcher binds
by name (rpc.call and the multicall's bind_calls use the same signature), so
a parameter named differently from Koji's is a call that fails only when
someone passes it by name: ``makeTask(method=..., arglist=...)`` from
``koji make-task`` was one.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from kiln.hub.rpc import build_registry

KOJI = json.loads((Path(__file__).parents[1] / "data" / "koji_hub_params.json").read_text())

# Koji exports these as (*args, **opts) wrappers around its Session's methods:
# the names a caller can use are the wrapped ones.
WRAPPED = {
    "login": {"args": ["user", "password", "opts", "renew", "exclusive"], "defaults": 3},
    "sslLogin": {"args": ["proxyuser", "proxyauthtype", "renew", "exclusive"], "defaults": 4},
    "exclusiveSession": {"args": ["force"], "defaults": 1},
}
# Defined in a class with double underscores, Koji's names are mangled: only
# position reaches them.
POSITIONAL_ONLY = {"host.subtask2"}
# Koji methods that take ``*args, **opts`` and read their arguments from both
# (makeTask: method and arglist by position or by name).
BY_POSITION_OR_NAME = {"makeTask": ["method", "arglist"]}

REGISTRY = build_registry()
SHARED = sorted(name for name in REGISTRY.methods if name in KOJI)


def koji_spec(name: str) -> dict:
    return {**KOJI[name], **WRAPPED.get(name, {})}


def test_the_fixture_and_the_registry_overlap():
    """The check below covers what both sides export; a new kiln method is checked once Koji has it."""
    assert len(KOJI) >= 320 and "repo.query" in KOJI
    assert len(SHARED) >= 190
    kiln_only = sorted(set(REGISTRY.methods) - set(KOJI))
    assert kiln_only == [
        "getKilnVersion",
        "kiln.queuePosition",
        "removeChannel",
        "repo.expireBuildroots",
        "repo.staleTags",
    ]


@pytest.mark.parametrize("name", SHARED)
def test_koji_parameters_bind_by_position_and_by_name(name):
    signature = REGISTRY.methods[name].signature
    spec = koji_spec(name)
    args, required = spec["args"], len(spec["args"]) - spec["defaults"]
    signature.bind(*args)  # every Koji parameter by position
    signature.bind(*args[:required])  # only the required ones
    if name not in POSITIONAL_ONLY:
        signature.bind(**{arg: arg for arg in args})  # every one by name, as a __starstar struct sends it
        signature.bind(**{arg: arg for arg in args[:required]})
    kinds = {p.kind for p in signature.parameters.values()}
    if spec["varargs"] and name not in WRAPPED:
        assert inspect.Parameter.VAR_POSITIONAL in kinds, f"Koji's {name} takes *{spec['varargs']}"
    if spec["varkw"] and name not in WRAPPED:
        assert inspect.Parameter.VAR_KEYWORD in kinds, f"Koji's {name} takes **{spec['varkw']}"
    # no required parameter of kiln's that Koji's callers never send
    for parameter in signature.parameters.values():
        if parameter.default is inspect.Parameter.empty and parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
            assert parameter.name in args or name in POSITIONAL_ONLY | set(BY_POSITION_OR_NAME), parameter.name
