"""Koji's policies: named rule lists a site writes in the hub's config, evaluated against call data.

A policy is one rule per line, ``tests :: action``; the first rule whose tests
all pass gives the action (its first word is the result, the rest a reason
shown to people).  Tests, joined with ``&&``, each negated with a leading
``!``:

- ``all`` (always), ``none`` (never), ``true``/``false``;
- ``match FIELD PATTERN...``: the data's FIELD matches a shell pattern;
- ``has_perm PERM...``: the data's user (``user_id``) holds one of them;
- ``bool FIELD``: the data's FIELD is true.

A policy the config does not define uses kiln's default (``DEFAULTS``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from kiln.hub.context import Context
from kiln.hub.domain import users
from kiln.protocol import errors

# What a site gets without a [policy] entry: kiln's defaults, Koji's where Koji has one.
DEFAULTS = {
    "build_from_scm": "all :: allow",
    "build_rpm": "all :: allow",
    "build_from_srpm": "has_perm admin :: allow\nall :: deny Only admin can do this via default policy",
    "build_from_repo_id": "has_perm admin :: allow\nall :: deny Only admin can do this via default policy",
}


@dataclass(frozen=True)
class Rule:
    tests: list[tuple[bool, str, list[str]]]  # (negated, test name, arguments)
    action: str


def parse(text: str, name: str = "policy") -> list[Rule]:
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "::" not in line:
            raise errors.ConfigurationError(f"policy {name}, line {number}: no '::' between tests and action")
        condition, action = (part.strip() for part in line.split("::", 1))
        if not action:
            raise errors.ConfigurationError(f"policy {name}, line {number}: no action after '::'")
        tests = []
        for term in condition.split("&&"):
            words = term.split()
            if not words:
                raise errors.ConfigurationError(f"policy {name}, line {number}: an empty test")
            negated = words[0].startswith("!")
            test = words[0].lstrip("!") or (words.pop(1) if len(words) > 1 else "")
            if test not in _TESTS:
                raise errors.ConfigurationError(f"policy {name}, line {number}: unknown test {test!r}")
            tests.append((negated, test, words[1:]))
        rules.append(Rule(tests, action))
    return rules


def _match(ctx: Context, data: dict, args: list[str]) -> bool:
    if not args:
        raise errors.ConfigurationError("match needs a field and patterns")
    value = data.get(args[0])
    return value is not None and any(fnmatch.fnmatchcase(str(value), p) for p in args[1:])


def _has_perm(ctx: Context, data: dict, args: list[str]) -> bool:
    user_id = data.get("user_id")
    if user_id is None:
        return False
    held = users.perms_of(ctx, int(user_id))
    return "admin" in held or any(p in held for p in args)


_TESTS = {
    "all": lambda ctx, data, args: True,
    "true": lambda ctx, data, args: True,
    "none": lambda ctx, data, args: False,
    "false": lambda ctx, data, args: False,
    "match": _match,
    "has_perm": _has_perm,
    "bool": lambda ctx, data, args: bool(args and data.get(args[0])),
}


def _text(ctx: Context, name: Any, data: Any) -> str | None:
    if not isinstance(name, str) or not isinstance(data, dict):
        raise errors.ParameterError("evalPolicy takes a policy name and a data dict")
    return ctx.settings.policies.get(name, DEFAULTS.get(name))


def _first_action(ctx: Context, name: str, text: str, data: dict) -> str | None:
    for rule in parse(text, name):
        if all(_TESTS[test](ctx, data, args) != negated for negated, test, args in rule.tests):
            return rule.action
    return None


def action(ctx: Context, name: Any, data: Any) -> str | None:
    """Koji's top-level evalPolicy: the first matching rule's action, None when no rule matches."""
    text = _text(ctx, name, data)
    if text is None:
        raise errors.GenericError(f"no such policy: {name}")
    return _first_action(ctx, name, text, data)


def evaluate(ctx: Context, name: Any, data: Any) -> str:
    """The action the named policy gives for ``data`` (None of its rules matching: an error)."""
    found = action(ctx, name, data)
    if found is None:
        raise errors.GenericError(f"policy {name}: no rule matched")
    return found


def verdict(ctx: Context, name: Any, data: Any, default: str = "deny", strict: bool = False) -> tuple[bool, str]:
    """Koji's host.checkPolicy: (allowed, reason).

    A policy the hub does not have allows (Koji's MissingPolicyOk); no rule
    matching gives ``default``; an action other than allow or deny denies.
    With ``strict`` a denial is an ActionNotAllowed instead.
    """
    text = _text(ctx, name, data)
    if text is None:
        return True, "missing policy"
    found = _first_action(ctx, name, text, data)
    if found is None:
        result, reason = str(default).lower(), "not covered by policy"
    else:
        first, _, reason = found.partition(" ")
        result, reason = first.lower(), reason.strip()
    if result == "allow":
        return True, reason
    if result != "deny":
        reason = "error in policy"
    if strict:
        raise errors.ActionNotAllowed(f"policy violation ({name}): {reason}")
    return False, reason


def check(ctx: Context, name: Any, data: Any, default: str = "deny") -> None:
    """Refuse (ActionNotAllowed, with the rule's reason) unless the policy's action is ``allow``."""
    try:
        action = evaluate(ctx, name, data)
    except errors.GenericError:
        if default != "allow":
            raise
        return
    verdict, _, reason = action.partition(" ")
    if verdict != "allow":
        raise errors.ActionNotAllowed(f"policy {name} refused: {reason or verdict}")
