"""Comps groups as build roots read them: which packages a group installs.

Shared by the hub (repos' comps.xml) and the builder (what a build root
holds), so both read a tag's groups the same way.
"""

from __future__ import annotations

INSTALLED_TYPES = ("mandatory", "default")  # what mock and kiln's build roots install of a group


def packages_of(groups: list[dict], name: str) -> list[str]:
    """The packages group ``name`` installs, its required groups' included, once each, in order.

    ``groups`` are getTagGroups' answer (each with ``packagelist`` and ``grouplist``).
    """
    by_name = {group["name"]: group for group in groups}
    seen: set[str] = set()
    order: list[str] = []
    todo = [name]
    while todo:
        group = by_name.get(todo.pop(0))
        if group is None or group["name"] in seen:
            continue
        seen.add(group["name"])
        order += [p["package"] for p in group.get("packagelist", []) if p.get("type", "mandatory") in INSTALLED_TYPES]
        todo += [required["name"] for required in group.get("grouplist", [])]
    return list(dict.fromkeys(order))
