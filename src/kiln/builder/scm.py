"""Source checkouts from SCM URLs, as Koji's builders make them.

A URL is ``<scheme>://<host>/<repository>[?<path>]#<ref>``:

- git: ``git://``, ``git+http://``, ``git+https://``, ``git+file://``;
- Subversion: ``svn://``, ``svn+http://``, ``svn+https://``, ``svn+file://``.

The ref (a commit, tag or branch for git; a revision number or ``HEAD``
for Subversion) is required and is resolved to the commit it names, which
the checkout reports, so that what was built is on record whatever the ref
later points at.

Before anything is fetched the URL is checked against the builder's
``allowed_scms`` (kojid's format: entries ``host:repository`` with shell
patterns, separated by spaces or newlines; ``!`` in front refuses; the first
matching entry decides; no match refuses).
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from kiln.protocol import errors

GIT_SCHEMES = {"git": "git", "git+http": "http", "git+https": "https", "git+file": "file"}
SVN_SCHEMES = {"svn": "svn", "svn+http": "http", "svn+https": "https", "svn+file": "file"}
_SAFE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")
CHECKOUT_TIMEOUT = 3600


class SCMError(errors.GenericError):
    """A URL that cannot be checked out, or a checkout that failed."""


@dataclass(frozen=True)
class SCM:
    url: str
    kind: str  # "git" or "svn"
    transport: str  # the scheme the tool itself takes: git, http, https, file, svn
    host: str
    repository: str  # the path on the host, from its first slash
    module: str  # the part after "?", a path inside the repository (may be empty)
    ref: str

    @classmethod
    def parse(cls, url: str) -> SCM:
        if not isinstance(url, str) or "://" not in url:
            raise SCMError(f"Invalid SCM URL: {url!r}: give scheme://host/repository#ref")
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in GIT_SCHEMES:
            kind, transport = "git", GIT_SCHEMES[scheme]
        elif scheme in SVN_SCHEMES:
            kind, transport = "svn", SVN_SCHEMES[scheme]
        else:
            known = ", ".join(f"{s}://" for s in (*GIT_SCHEMES, *SVN_SCHEMES))
            raise SCMError(f"Invalid SCM URL: {url!r}: unknown scheme {parts.scheme!r} (known: {known})")
        if parts.username or parts.password:
            raise SCMError(f"Invalid SCM URL: {url!r}: credentials do not belong in an SCM URL")
        if not parts.fragment:
            raise SCMError(f"Invalid SCM URL: {url!r}: name what to check out after '#' (a commit, tag or branch)")
        if not _SAFE_REF.match(parts.fragment) or ".." in parts.fragment:
            raise SCMError(f"Invalid SCM URL: {url!r}: {parts.fragment!r} is not a ref name")
        if not parts.path or parts.path == "/" or ".." in parts.path.split("/"):
            raise SCMError(f"Invalid SCM URL: {url!r}: no repository path")
        if transport != "file" and not parts.hostname:
            raise SCMError(f"Invalid SCM URL: {url!r}: no host")
        module = parts.query.strip("/")
        if ".." in module.split("/"):
            raise SCMError(f"Invalid SCM URL: {url!r}: the path after '?' leaves the repository")
        host = parts.netloc if transport != "file" else ""
        return cls(url, kind, transport, host, parts.path, module, parts.fragment)

    @property
    def tool_url(self) -> str:
        """The repository's URL as git or svn takes it."""
        return f"{self.transport}://{self.host}{self.repository}"

    def assert_allowed(self, allowed: str) -> None:
        """Refuse the URL unless the first entry of ``allowed`` that matches it allows it."""
        for entry in allowed.split():
            refuse = entry.startswith("!")
            host_pattern, _, repo_pattern = entry.lstrip("!").partition(":")
            if fnmatch.fnmatchcase(self.host, host_pattern) and fnmatch.fnmatchcase(
                self.repository, repo_pattern or "*"
            ):
                if refuse:
                    break
                return
        raise SCMError(
            f"SCM URL {self.url} is not allowed on this builder (host {self.host or '(local)'!r}, "
            f"repository {self.repository!r}); its allowed_scms setting names what is"
        )

    def checkout(self, dest: Path, log_path: Path) -> str:
        """Check out into ``dest`` (which must not exist); returns the commit (or revision) checked out."""
        with open(log_path, "a") as log:
            if self.kind == "git":
                return self._git(dest, log)
            return self._svn(dest, log)

    def _git(self, dest: Path, log: TextIO) -> str:
        _run(["git", "init", "-q", str(dest)], log)
        _run(["git", "-C", str(dest), "remote", "add", "origin", self.tool_url], log)
        # Tags and branches come with the fetch; a bare commit id is fetched by name
        # where the server allows it, else found in what the full fetch brought.
        _run(["git", "-C", str(dest), "fetch", "-q", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*"], log)
        commit = None
        for candidate in (f"refs/tags/{self.ref}", f"refs/remotes/origin/{self.ref}", self.ref):
            found = _run(
                ["git", "-C", str(dest), "rev-parse", "-q", "--verify", f"{candidate}^{{commit}}"], log, check=False
            )
            if found.returncode == 0:
                commit = found.stdout.strip()
                break
        if commit is None:
            raise SCMError(f"{self.url}: no commit, tag or branch {self.ref!r} in {self.tool_url}")
        _run(["git", "-C", str(dest), "-c", "advice.detachedHead=false", "checkout", "-q", commit], log)
        return commit

    def _svn(self, dest: Path, log: TextIO) -> str:
        revision = "HEAD" if self.ref.upper() == "HEAD" else self.ref
        if revision != "HEAD" and not revision.isdigit():
            raise SCMError(f"{self.url}: a Subversion ref is a revision number or HEAD, not {self.ref!r}")
        url = self.tool_url + (f"/{self.module}" if self.module else "")
        _run(["svn", "checkout", "--non-interactive", "-q", "-r", revision, url, str(dest)], log)
        found = _run(["svn", "info", "--non-interactive", "--show-item", "last-changed-revision", str(dest)], log)
        return found.stdout.strip()


def _run(argv: list[str], log: TextIO, check: bool = True) -> subprocess.CompletedProcess:
    log.write(f"$ {' '.join(argv)}\n")
    log.flush()
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CHECKOUT_TIMEOUT,
            env={"PATH": "/usr/bin:/bin", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "HOME": "/nonexistent"},
        )
    except FileNotFoundError:
        raise SCMError(f"{argv[0]} is not installed on this builder") from None
    except subprocess.TimeoutExpired:
        raise SCMError(f"{' '.join(argv[:3])}: no answer within {CHECKOUT_TIMEOUT} s") from None
    log.write(done.stdout + done.stderr)
    if check and done.returncode != 0:
        raise SCMError(f"{' '.join(argv[:3])} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return done
