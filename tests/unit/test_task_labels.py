"""kiln's task labels are koji's, letter for letter: scripts parse them from watch-task and list-tasks."""

from __future__ import annotations

import pytest

from kiln.client.task_labels import module_info, task_label

koji = pytest.importorskip("koji")

TASKS = [
    ("build", ["kiln-hello-1.0-1.src.rpm", "dest", {"scratch": True}], "noarch"),
    ("build", ["cli-build/1700000000.1.abc/kiln-hello-1.0-1.src.rpm", "dest"], "noarch"),
    ("build", ["git+https://git.example.com/rpms/foo.git#abc123", "f40-candidate", None], "noarch"),
    ("build", ["git://h/rpms/foo.git?pkg/sub#deadbeef", "f40", {}], "noarch"),
    ("buildSRPMFromSCM", ["git+file:///srv/git/kiln-hello.git#HEAD", 3, {"repo_id": 7}], "noarch"),
    ("rebuildSRPM", ["work/tasks/1/2/x.src.rpm", 3, {"repo_id": 7}], "noarch"),
    ("buildArch", ["tasks/1/5/kiln-hello-1.0-1.src.rpm", 3, "x86_64", True, {"repo_id": 7}], "x86_64"),
    ("buildArch", ["x.src.rpm", 3, "noarch", False], "noarch"),
    ("tagBuild", [4, 12, False, None, True], "noarch"),
    ("newRepo", ["build"], "noarch"),
    ("newRepo", ["build", {"__starstar": True, "event": 5}], "noarch"),
    ("createrepo", [3, "x86_64", None], "x86_64"),
    ("waitrepo", ["build", None, ["foo-1-1", "bar-2-2"]], "noarch"),
    ("waitrepo", ["build", 1700000000.5, None], "noarch"),
    ("chainbuild", [[["a.src.rpm"], ["b.src.rpm"]], "dest"], "noarch"),
    ("dependantTask", [[1, 2], [["tagBuild", [1, 2]], ["newRepo", ["x"]]]], "noarch"),
    ("buildNotification", [["a@b"], {"name": "n", "version": "1", "release": "2"}, None, "http://w"], "noarch"),
    ("sleep", [5], "noarch"),
    ("fork", [], "noarch"),
    ("someUnknownMethod", [1, 2], "x86_64"),
    ("buildArch", ["x.src.rpm"], "noarch"),
    ("sleep", [1, 2, 3], "noarch"),
    ("build", [None, "dest"], "noarch"),
    ("build", [{"__method__": "build", "src": "y.src.rpm", "target": "t"}], "noarch"),
    # methods kiln's builders do not run, as other hubs and plugins make them
    ("createImage", [], "noarch"),
    ("createImage", ["n", "1", "2", "x86_64", {"name": "t"}, {}, {}, "http://tree", {}], "x86_64"),
    ("createLiveCD", ["n", "1", "2", "x86_64", {"name": "t"}, {}, {}, "a.ks"], "x86_64"),
    ("createAppliance", ["n", "1"], "x86_64"),
    ("createLiveMedia", ["n", "1", "2", "i686", {"name": "t"}, {}, {}, "m.ks", {}], "i686"),
    ("livecd", ["n", "1", "x86_64", "t", "a.ks"], "noarch"),
    ("appliance", ["n", "1", "x86_64", "t", "a.ks", {}], "noarch"),
    ("image", ["n", "1", ["x86_64", "i686"], "t", "http://tree"], "noarch"),
    ("livemedia", ["n", "1", ["x86_64"], "t", "m.ks", {}], "noarch"),
    ("maven", ["git://h/m.git#1", "t"], "noarch"),
    ("buildMaven", ["git://h/m.git#1", {"name": "bt"}], "noarch"),
    ("chainmaven", [{}, "t"], "noarch"),
    ("wrapperRPM", ["git://h/s.git#1", {"name": "bt"}, {"name": "n", "version": "1", "release": "2"}, {}], "noarch"),
    ("wrapperRPM", ["git://h/s.git#1", {"name": "bt"}, None, {}], "noarch"),
    ("indirectionimage", [{"name": "n", "version": "1", "release": "2"}], "noarch"),
    ("restart", [{"name": "builder1"}], "noarch"),
    ("restartVerify", [5, {"name": "builder1"}], "noarch"),
    ("restartVerify", [5], "noarch"),
]


@pytest.mark.parametrize(("method", "request_", "arch"), TASKS)
def test_label_is_kojis(method, request_, arch):
    task = {"method": method, "request": request_, "arch": arch}
    assert task_label(task) == koji.taskLabel(dict(task))


def test_module_info_of_scm_urls():
    assert module_info("git+https://h/rpms/foo.git#abc") == "/rpms/foo.git:abc"
    assert module_info("git://h/r.git?mod#rev") == "/r.git:mod:rev"


def test_a_task_dict_missing_keys_is_malformed():
    assert task_label({"method": "build"}) == "malformed task"
