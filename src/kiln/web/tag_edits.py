"""Editing tags, build targets and tags' package lists from the web, as kojiweb's edit pages do.

Forms (GET) for those with the ``tag`` or ``target`` permission (or admin),
saved by POSTs that carry the CSRF token; the hub checks the permission
again on every call.
"""

from __future__ import annotations

from typing import Any

from kiln.client import ClientSession
from kiln.web.listing import PageError
from kiln.web.visitor import Visitor


def _text(form: dict[str, str], name: str, what: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise PageError(400, f"This form needs {what}.")
    return value


def _ref(form: dict[str, str], name: str, what: str) -> int | str:
    """A tag or target by id or by name (a number is an id, as on Koji's pages)."""
    value = _text(form, name, what)
    return int(value) if value.isdigit() else value


def _tag_fields(form: dict[str, str]) -> dict[str, Any]:
    return {
        "arches": " ".join(form.get("arches", "").split()) or None,
        "perm": form.get("perm", "").strip() or None,
        "locked": form.get("locked") == "1",
    }


def tagcreate(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    name = _text(form, "name", "the new tag's name")
    parent = form.get("parent", "").strip() or None
    tag_id = session.createTag(name, parent=parent, **_tag_fields(form))
    return f"/koji/taginfo?tagID={tag_id}"


def tagedit(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    tag = session.getTag(_ref(form, "tagID", "the tag"), strict=True)
    session.editTag2(tag["id"], name=_text(form, "name", "the tag's name"), **_tag_fields(form))
    return f"/koji/taginfo?tagID={tag['id']}"


def tagdelete(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    session.deleteTag(_ref(form, "tagID", "the tag"))
    return "/koji/tags"


def buildtargetcreate(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    name = _text(form, "name", "the target's name")
    session.createBuildTarget(name, _ref(form, "buildTag", "a build tag"), _ref(form, "destTag", "a destination tag"))
    return f"/koji/buildtargetinfo?targetID={name}"


def buildtargetedit(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    target = session.getBuildTarget(_ref(form, "targetID", "the target"), strict=True)
    name = _text(form, "name", "the target's name")
    session.editBuildTarget(
        target["id"], name, _ref(form, "buildTag", "a build tag"), _ref(form, "destTag", "a destination tag")
    )
    return f"/koji/buildtargetinfo?targetID={target['id']}"


def buildtargetdelete(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    session.deleteBuildTarget(_ref(form, "targetID", "the target"))
    return "/koji/buildtargets"


def packagelistadd(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
    tag = _ref(form, "tagID", "the tag")
    owner = form.get("owner", "").strip() or visitor.name
    session.packageListAdd(tag, _text(form, "package", "a package name"), owner=owner)
    return f"/koji/taginfo?tagID={tag}"


def _package_change(call: str) -> Any:
    def change(session: ClientSession, visitor: Visitor, form: dict[str, str]) -> str:
        tag = _ref(form, "tagID", "the tag")
        getattr(session, call)(tag, _text(form, "package", "a package"))
        return f"/koji/taginfo?tagID={tag}"

    return change


def tagcreate_form(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    return "tagedit.html", {"tag": None, "parent": query.get("parent", "")}


def tagedit_form(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    tag = session.getTag(_ref(query, "tagID", "tagID="))
    if not tag:
        raise PageError(404, f"There is no tag {query['tagID']}.")
    return "tagedit.html", {"tag": tag, "parent": ""}


def buildtargetcreate_form(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    return "buildtargetedit.html", {"target": None}


def buildtargetedit_form(session: ClientSession, query: dict[str, str]) -> tuple[str, dict]:
    target = session.getBuildTarget(_ref(query, "targetID", "targetID="))
    if not target:
        raise PageError(404, f"There is no build target {query['targetID']}.")
    return "buildtargetedit.html", {"target": target}


ACTIONS = {
    "tagcreate": tagcreate,
    "tagedit": tagedit,
    "tagdelete": tagdelete,
    "buildtargetcreate": buildtargetcreate,
    "buildtargetedit": buildtargetedit,
    "buildtargetdelete": buildtargetdelete,
    "packagelistadd": packagelistadd,
    "packagelistremove": _package_change("packageListRemove"),
    "packagelistblock": _package_change("packageListBlock"),
    "packagelistunblock": _package_change("packageListUnblock"),
}
FORMS = {
    "tagcreate": ("tag", tagcreate_form),
    "tagedit": ("tag", tagedit_form),
    "buildtargetcreate": ("target", buildtargetcreate_form),
    "buildtargetedit": ("target", buildtargetedit_form),
}
