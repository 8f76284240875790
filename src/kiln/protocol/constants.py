"""Koji's enumerations: the integer on the wire is the index, the contract."""

from __future__ import annotations

from enum import IntEnum

API_VERSION = 1
PRIO_DEFAULT = 20


class TaskState(IntEnum):
    FREE = 0
    OPEN = 1
    CLOSED = 2
    CANCELED = 3
    ASSIGNED = 4
    FAILED = 5


class BuildState(IntEnum):
    BUILDING = 0
    COMPLETE = 1
    DELETED = 2
    FAILED = 3
    CANCELED = 4


class BuildrootState(IntEnum):
    INIT = 0
    WAITING = 1
    BUILDING = 2
    EXPIRED = 3


class RepoState(IntEnum):
    INIT = 0
    READY = 1
    EXPIRED = 2
    DELETED = 3
    PROBLEM = 4


class UserType(IntEnum):
    NORMAL = 0
    HOST = 1
    GROUP = 2


class UserStatus(IntEnum):
    NORMAL = 0
    BLOCKED = 1


class AuthType(IntEnum):
    NORMAL = 0
    KERBEROS = 1
    SSL = 2
    GSSAPI = 3


# Permissions a fresh database holds, in Koji's order (ids follow it), with
# Koji's descriptions: `koji list-permissions` output is compared against them.
SEEDED_PERMISSIONS: list[tuple[str, str]] = [
    ("admin", "Full administrator access. Perform all actions."),
    ("appliance", "Create appliance builds - deprecated."),
    ("dist-repo", "Create a dist-repo."),
    ("host", "Add, remove, enable, disable hosts and channels."),
    ("image", "Start image tasks."),
    ("image-import", "Import image archives."),
    ("livecd", "Start livecd tasks."),
    ("maven-import", "Import maven archives."),
    ("repo", "Manage repos: newRepo, repoExpire, repoDelete, repoProblem."),
    ("sign", "Import RPM signatures and write signed RPMs."),
    ("tag", "Manage packages in tags: add, block, remove, and clone tags."),
    ("target", "Add, edit, and remove targets."),
    ("win-admin", 'The default hub policy rule for "vm" requires this permission to trigger Windows builds.'),
    ("win-import", "Import win archives."),
    (
        "draft-promoter",
        'The permission required in the default "draft_promotion" hub policy rule to promote draft build.',
    ),
]

SEEDED_CHANNELS: list[str] = [
    "default",
    "createrepo",
    "maven",
    "livecd",
    "appliance",
    "vm",
    "image",
    "livemedia",
]
