"""The index of ``kiln``'s commands: which area module holds each, and its one-line summary.

The index is what lets ``kiln --help`` list every command without importing
a single command module (nor the client library and ``requests`` behind
them): only the module of the command being run is imported.  Each area
module offers ``register(subparsers)``; a test checks that every module
registers exactly the commands the index gives it, with the same summaries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# area -> ((command, summary), ...), in the order ``kiln --help`` lists them.
AREAS: dict[str, tuple[tuple[str, str], ...]] = {
    "misc": (
        ("hello", "Say hello to the hub and say which hub answered"),
        ("moshimoshi", "Introduce yourself"),
        ("version", "Report client and hub versions"),
        ("call", "Execute an arbitrary XML-RPC call"),
        ("list-api", "Print the list of XML-RPC APIs"),
    ),
    "tags": (
        ("list-tags", "Print the list of tags"),
        ("taginfo", "Print basic information about a tag"),
        ("add-tag", "Add a new tag to the database"),
        ("list-targets", "List the build targets"),
        ("add-target", "Create a new build target"),
        ("edit-tag", "Alter tag information"),
        ("remove-tag", "Remove a tag"),
        ("add-tag-inheritance", "Add to a tag's inheritance"),
        ("edit-tag-inheritance", "Edit tag inheritance"),
        ("remove-tag-inheritance", "Remove a tag inheritance link"),
        ("list-tag-inheritance", "Print the inheritance information for a tag"),
        ("edit-target", "Set the name, build_tag, and/or dest_tag of an existing build target to new values"),
        ("remove-target", "Remove a build target"),
    ),
    "packages": (
        ("list-pkgs", "Print the package listing for tag or for owner"),
        ("add-pkg", "Add a package to the listing for tag"),
        ("remove-pkg", "Remove a package from the listing for tag"),
        ("block-pkg", "Block a package in the listing for tag"),
        ("unblock-pkg", "Unblock a package in the listing for tag"),
        ("set-pkg-owner", "Set the owner for a package"),
    ),
    "repos": (
        ("regen-repo", "Generate a current repo if there is not one"),
        ("wait-repo", "Wait for a repo to be regenerated"),
    ),
    "history": (("list-history", "Display historical data"),),
    "builds": (
        ("list-builds", "Print the build listing"),
        ("list-tagged", "List the builds or rpms in a tag"),
        ("latest-build", "Print the latest builds for a tag"),
        ("buildinfo", "Print basic information about a build"),
        ("list-untagged", "List untagged builds"),
        ("tag-build", "Apply a tag to one or more builds"),
        ("move-build", "'Move' one or more builds between tags"),
        ("untag-build", "Remove a tag from one or more builds"),
    ),
    "rpms": (
        ("rpminfo", "Print basic information about an RPM"),
        ("list-buildroot", "List the rpms used in or built in a buildroot"),
        ("search", "Search the system"),
    ),
    "submit": (
        ("build", "Build a package from source"),
        ("chain-build", "Build one or more packages from source"),
        ("import", "Import externally built RPMs into the database"),
    ),
    "files": (
        ("download-build", "Download a completed build"),
        ("download-task", "Download the output of a build task"),
    ),
    "tasks": (
        ("watch-task", "Track progress of particular tasks"),
        ("watch-logs", "Watch logs in realtime"),
        ("list-tasks", "Print the list of tasks"),
        ("taskinfo", "Show information about a task"),
        ("cancel", "Cancel tasks and/or builds"),
        ("resubmit", "Retry a canceled or failed task, using the same parameter as the original task."),
        ("set-task-priority", "Set task priority"),
        ("make-task", "Create an arbitrary task"),
    ),
    "why": (("why", "Say why a task or build failed, or what a waiting task waits for"),),
    "hosts": (
        ("list-hosts", "Print the host listing"),
        ("hostinfo", "Print basic information about a host"),
        ("list-channels", "Print channels listing"),
        ("add-host", "Add a host"),
        ("edit-host", "Edit a host"),
        ("enable-host", "Mark one or more hosts as enabled"),
        ("disable-host", "Mark one or more hosts as disabled"),
        ("add-channel", "Add a channel"),
        ("edit-channel", "Edit a channel"),
        ("enable-channel", "Mark one or more channels as enabled"),
        ("disable-channel", "Mark one or more channels as disabled"),
        ("add-host-to-channel", "Add a host to a channel"),
        ("remove-host-from-channel", "Remove a host from a channel"),
    ),
    "users": (
        ("list-users", "List of users"),
        ("userinfo", "Show information about a user"),
        ("list-permissions", "List user permissions"),
        ("add-user", "Add a user"),
        ("enable-user", "Enable logins by a user"),
        ("disable-user", "Disable logins by a user"),
        ("grant-permission", "Grant a permission to a user"),
        ("revoke-permission", "Revoke a permission from a user"),
    ),
    "shell": (("completion", "Print the shell completion script for bash or zsh"),),
}

# Koji's other names for the same commands.
ALIASES = {"moshi": "moshimoshi"}

COMMANDS: dict[str, str] = {command: area for area, entries in AREAS.items() for command, _ in entries}


def area_of(command: str) -> str | None:
    """The area module name that holds ``command`` (an alias resolved), or None."""
    return COMMANDS.get(ALIASES.get(command, command))


def summary(command: str) -> str:
    """The command's one-line summary, as the index gives it."""
    return dict(AREAS[COMMANDS[command]])[command]


def add_command(subparsers: Any, name: str, handler: Callable[..., int], **kwargs: Any) -> Any:
    """Add ``name``'s parser with the index's summary as its help; ``handler`` runs it."""
    parser = subparsers.add_parser(name, help=summary(name), description=kwargs.pop("description", summary(name)))
    parser.set_defaults(handler=handler)
    return parser
