"""A tag's repo as a build root reads it: from a local directory or over HTTP.

Only what a build root needs: the primary metadata (for the solver) and the
package files it picked.  Downloads land in a cache directory of the task.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urljoin

import requests
from defusedxml import ElementTree

from kiln.protocol import errors

_REPO_NS = "{http://linux.duke.edu/metadata/repo}"


class Repo:
    """``location`` is a directory holding ``repodata/``, or its URL (http, https)."""

    def __init__(self, location: str, cache: Path) -> None:
        self.location = location.rstrip("/") + "/"
        self.remote = location.startswith(("http://", "https://"))
        self.cache = cache
        self.cache.mkdir(parents=True, exist_ok=True)
        self._http = requests.Session() if self.remote else None

    def fetch(self, relative: str) -> Path:
        """A file of the repo, as a local path (downloaded into the cache when the repo is remote)."""
        if ".." in Path(relative).parts or relative.startswith("/"):
            raise errors.BuildrootError(f"repo {self.location}: refusing the path {relative!r}")
        if not self.remote:
            path = Path(self.location) / relative
            if not path.is_file():
                raise errors.BuildrootError(f"repo {self.location}: no file {relative}")
            return path
        target = self.cache / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            assert self._http is not None
            try:
                with self._http.get(urljoin(self.location, relative), stream=True, timeout=300) as reply:
                    reply.raise_for_status()
                    with open(target.with_suffix(".part"), "wb") as out:
                        shutil.copyfileobj(reply.raw, out)
            except requests.RequestException as exc:
                raise errors.BuildrootError(f"repo {self.location}: cannot fetch {relative}: {exc}") from None
            target.with_suffix(".part").rename(target)
        return target

    def primary(self) -> Path:
        """The primary metadata file that repomd.xml names."""
        repomd = ElementTree.parse(self.fetch("repodata/repomd.xml")).getroot()
        for data in repomd.iter(f"{_REPO_NS}data"):
            if data.get("type") == "primary":
                location = data.find(f"{_REPO_NS}location")
                if location is not None and location.get("href"):
                    return self.fetch(location.get("href"))
        raise errors.BuildrootError(f"repo {self.location}: repomd.xml names no primary metadata")
