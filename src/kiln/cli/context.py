"""What a command handler receives: its options, the profile, and a session made on demand.

Handlers never build sessions or log in by themselves: an anonymous command
calls :meth:`Context.session` and stays anonymous (it never logs in, even
when the profile has credentials, as Koji's ``anon_handle_*`` commands do);
a command that needs a user calls :meth:`Context.login_session`.

Two errors are for handlers to raise: :class:`UsageError` for what koji
reports through its option parser (exit 2), :class:`CommandError` for what
koji reports with its ``error()`` (exit 1).  ``main`` turns both into one
line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiln.cli.profiles import Profile

if TYPE_CHECKING:
    from kiln.client import ClientSession


class UsageError(Exception):
    """The command was called wrongly (a missing argument, an unknown tag): exit status 2."""


class CommandError(Exception):
    """The command cannot do what was asked: exit status 1."""


@dataclass
class Context:
    """One run of one command."""

    options: argparse.Namespace
    profile: Profile
    _session: ClientSession | None = field(default=None, init=False, repr=False)

    def session(self) -> ClientSession:
        """The hub's session, anonymous until :meth:`login_session` logs it in."""
        if self._session is None:
            from kiln.client import ClientSession

            opts = {
                "max_retries": self.profile.max_retries,
                "retry_interval": self.profile.retry_interval,
                "offline_retry": self.profile.offline_retry,
                "offline_retry_interval": self.profile.offline_retry_interval,
                "serverca": self.profile.serverca,
            }
            self._session = ClientSession(self.profile.server, opts=opts)
        return self._session

    def login_session(self) -> ClientSession:
        """The session, logged in with the profile's credentials unless ``noauth`` says not to.

        The authtype decides how, as koji's does: ``ssl`` logs in with the
        client certificate ``cert``, ``password`` with ``user`` and
        ``password`` (asked for when missing), ``kerberos`` through GSSAPI.
        With no authtype, a ``cert`` that exists means ssl and a user means
        password; with neither the session stays anonymous and the hub says
        what the call lacks, so the message names the permission.
        """
        session = self.session()
        profile = self.profile
        if session.logged_in or profile.noauth or profile.authtype == "noauth":
            return session
        authtype = profile.authtype or _implied_authtype(profile)
        if authtype == "ssl":
            session.ssl_login(profile.cert, profile.serverca)
        elif authtype == "kerberos":
            _gssapi_login(session)
        elif profile.user:
            password = profile.password
            if password is None:
                import getpass

                password = getpass.getpass(f"Password for {profile.user}: ")
            session.login(profile.user, password)
        return session

    def query_event(self) -> dict[str, Any] | None:
        """The event ``--event``, ``--ts`` or ``--repo`` names (at most one of them), or None."""
        options = self.options
        session = self.session()
        given = [name for name in ("event", "ts", "repo") if getattr(options, name) is not None]
        if len(given) > 1:
            raise UsageError("give at most one of --event, --ts and --repo")
        if options.event is not None:
            return session.getEvent(options.event)
        if options.ts is not None:
            return session.getLastEvent(before=options.ts)
        if options.repo is not None:
            repo = session.repoInfo(options.repo)
            if not repo:
                raise UsageError(f"No such repo: {options.repo}")
            return session.getEvent(repo["create_event"])
        return None

    def close(self) -> None:
        """Log out if we logged in: a CLI run leaves no session behind on the hub."""
        if self._session is not None and self._session.logged_in:
            self._session.logout()

    @property
    def quiet(self) -> bool:
        return bool(getattr(self.options, "quiet", False))

    @property
    def json(self) -> bool:
        return bool(getattr(self.options, "json", False))


def _implied_authtype(profile: Profile) -> str | None:
    """Koji's choice when no authtype is given: a readable certificate, else a password."""
    import os

    if profile.cert and os.path.isfile(profile.cert):
        return "ssl"
    return "password" if profile.user else None


def _gssapi_login(session: ClientSession) -> None:
    """Kerberos through requests-gssapi, an optional dependency: without it, say how to get it."""
    try:
        import requests_gssapi  # noqa: F401
    except ImportError:
        raise CommandError(
            "authtype kerberos needs the requests-gssapi package (pip install requests-gssapi)"
        ) from None
    session.gssapi_login()


def print_json(data: Any) -> None:
    """What the hub returned, as JSON (dates and other non-JSON values as strings)."""
    json.dump(data, sys.stdout, indent=2, default=str, sort_keys=True)
    sys.stdout.write("\n")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print what the hub returned, as JSON")


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """Koji's per-command ``--quiet``; the global ``--quiet`` sets it for every command."""
    parser.add_argument("--quiet", action="store_true", default=None, help="do not print the header information")


def add_event_options(parser: argparse.ArgumentParser) -> None:
    """koji's ``--event``, ``--ts`` and ``--repo``: query the hub as it was at one event."""
    parser.add_argument("--event", type=int, metavar="EVENT#", help="query at event")
    parser.add_argument("--ts", type=int, metavar="TIMESTAMP", help="query at the last event before timestamp")
    parser.add_argument("--repo", type=int, metavar="REPO#", help="query at the event of a repo")


def print_event(event: dict[str, Any]) -> None:
    """The ``Querying at event N (time)`` line that koji prints first."""
    import time

    print(f"Querying at event {event['id']} ({time.asctime(time.localtime(event['ts']))})")
