"""SCM checkouts with real git, git daemon, a dumb HTTP server and Subversion, and the allowlist."""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiln.builder.scm import SCM, SCMError
from tests.support.hub import stop_group
from tests.support.pgserver import free_port

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "PATH": "/usr/bin:/bin",
    "HOME": "/nonexistent",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A git repository: v1 tags the first commit (hello.spec), main has a second (NEWS)."""
    root = tmp_path_factory.mktemp("git") / "pkg.git"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "hello.spec").write_text("Name: hello\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    first = git(root, "rev-parse", "HEAD")
    git(root, "tag", "v1")
    (root / "NEWS").write_text("second\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "second")
    second = git(root, "rev-parse", "HEAD")
    return {"path": root, "first": first, "second": second}


def checkout(url: str, tmp_path: Path) -> tuple[str, list[str], str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    dest = tmp_path / "src"
    log = tmp_path / "checkout.log"
    commit = SCM.parse(url).checkout(dest, log)
    files = sorted(p.name for p in dest.iterdir() if p.name not in (".git", ".svn"))
    return commit, files, log.read_text()


def test_a_local_repository_at_a_tag_at_a_commit_and_at_a_branch(repo, tmp_path):
    url = f"git+file://{repo['path']}"
    commit, files, log = checkout(f"{url}#v1", tmp_path / "tag")
    assert (commit, files) == (repo["first"], ["hello.spec"])
    assert " fetch " in log and "checkout -q" in log
    commit, files, _ = checkout(f"{url}#{repo['first']}", tmp_path / "commit")
    assert (commit, files) == (repo["first"], ["hello.spec"])
    commit, files, _ = checkout(f"{url}#main", tmp_path / "branch")
    assert (commit, files) == (repo["second"], ["NEWS", "hello.spec"])


def test_an_unknown_ref_is_a_clear_error(repo, tmp_path):
    with pytest.raises(SCMError, match="no commit, tag or branch 'v9'"):
        checkout(f"git+file://{repo['path']}#v9", tmp_path)


@pytest.fixture(scope="module")
def git_daemon(repo) -> Iterator[str]:
    port = free_port()
    base = repo["path"].parent
    proc = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={base}", "--listen=127.0.0.1", f"--port={port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # `git daemon` runs git-daemon as its child: the group goes at the end
    )
    deadline = time.monotonic() + 10
    while subprocess.run(["git", "ls-remote", f"git://127.0.0.1:{port}/pkg.git"], capture_output=True).returncode:
        if time.monotonic() > deadline:
            stop_group(proc)
            raise RuntimeError("git daemon did not come up")
        time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    stop_group(proc)


def test_over_git_protocol_from_a_git_daemon(repo, git_daemon, tmp_path):
    commit, files, _ = checkout(f"git://{git_daemon}/pkg.git#v1", tmp_path)
    assert (commit, files) == (repo["first"], ["hello.spec"])


@pytest.fixture(scope="module")
def http_repo(repo, tmp_path_factory) -> Iterator[str]:
    """A bare clone served by a plain HTTP server (git's dumb HTTP protocol)."""
    served = tmp_path_factory.mktemp("http")
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo["path"]), str(served / "pkg.git")], check=True, env=GIT_ENV
    )
    git(served / "pkg.git", "update-server-info")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_over_http_from_a_web_server(repo, http_repo, tmp_path):
    commit, files, _ = checkout(f"git+http://{http_repo}/pkg.git#main", tmp_path)
    assert (commit, files) == (repo["second"], ["NEWS", "hello.spec"])


@pytest.fixture(scope="module")
def svn_repo(tmp_path_factory) -> Path:
    """A Subversion repository: r1 adds trunk/hello.spec, r2 trunk/NEWS."""
    root = tmp_path_factory.mktemp("svn")
    subprocess.run(["svnadmin", "create", str(root / "repo")], check=True)
    work = root / "import" / "trunk"
    work.mkdir(parents=True)
    (work / "hello.spec").write_text("Name: hello\n")
    url = f"file://{root / 'repo'}"
    subprocess.run(["svn", "import", "-q", "-m", "r1", str(root / "import"), url], check=True)
    subprocess.run(["svn", "checkout", "-q", f"{url}/trunk", str(root / "wc")], check=True)
    (root / "wc" / "NEWS").write_text("second\n")
    subprocess.run(["svn", "add", "-q", str(root / "wc" / "NEWS")], check=True)
    subprocess.run(["svn", "commit", "-q", "-m", "r2", str(root / "wc")], check=True)
    return root / "repo"


def test_subversion_at_a_revision_and_at_head(svn_repo, tmp_path):
    commit, files, _ = checkout(f"svn+file://{svn_repo}?trunk#1", tmp_path / "r1")
    assert (commit, files) == ("1", ["hello.spec"])
    commit, files, _ = checkout(f"svn+file://{svn_repo}?trunk#HEAD", tmp_path / "head")
    assert (commit, files) == ("2", ["NEWS", "hello.spec"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://example.com/pkg.git#v1", "unknown scheme 'https'"),
        ("git+https://example.com/pkg.git", "name what to check out after '#'"),
        ("git+https://user:secret@example.com/pkg.git#v1", "credentials do not belong"),
        ("git+https://example.com/pkg.git#v1;rm -rf", "is not a ref name"),
        ("git+https://example.com/pkg.git#--upload-pack=x", "is not a ref name"),
        ("git+https://example.com/#v1", "no repository path"),
        ("svn+https://example.com/repo?../../etc#1", "leaves the repository"),
        ("not a url", "give scheme://host/repository#ref"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(url, message):
    with pytest.raises(SCMError, match=message.replace("?", r"\?")):
        SCM.parse(url)


SECRET, RPMS = "pkgs.example.com:/rpms/secret*", "pkgs.example.com:/rpms/*"


@pytest.mark.parametrize(
    ("allowed", "url", "ok"),
    [
        ("pkgs.example.com:/rpms/*", "git+https://pkgs.example.com/rpms/hello.git#v1", True),
        ("pkgs.example.com:/rpms/*", "git+https://pkgs.example.com/other/hello.git#v1", False),
        ("pkgs.example.com:/rpms/*", "git+https://evil.example.com/rpms/hello.git#v1", False),
        (
            "!pkgs.example.com:/rpms/secret* pkgs.example.com:/rpms/*",
            "git://pkgs.example.com/rpms/secret.git#v1",
            False,
        ),
        ("!pkgs.example.com:/rpms/secret* pkgs.example.com:/rpms/*", "git://pkgs.example.com/rpms/open.git#v1", True),
        ("*.example.com", "svn://svn.example.com/repo#1", True),
        (":/srv/git/*", "git+file:///srv/git/pkg.git#v1", True),
        (":/srv/git/*", "git+file:///etc/pkg.git#v1", False),
        ("", "git+https://pkgs.example.com/rpms/hello.git#v1", False),
    ],
)
def test_the_allowlist_decides_before_anything_is_fetched(allowed, url, ok):
    scm = SCM.parse(url)
    if ok:
        scm.assert_allowed(allowed)
    else:
        with pytest.raises(SCMError, match="is not allowed on this builder"):
            scm.assert_allowed(allowed)
