"""Hub policies (Koji's [policy] section): rules evaluated for hosts, refusals with reasons."""

from __future__ import annotations

import koji
import pytest

from tests.conftest import ADMIN, host_session, koji_session, make_user, start_hub

RULES = [
    "match scm_host evil.example.com :: deny that host is not trusted",
    "has_perm repo && match scm_repository /rpms/* :: allow",
    "!match scm_type GIT :: deny only git here",
    "bool scratch :: allow",
    "all :: deny not on the list",
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def policy_hub(request, tmp_path_factory):
    return start_hub(request, request.param, tmp_path_factory.mktemp("policy"), policy={"build_from_scm": RULES})


def test_rules_decide_in_order_with_their_reasons(policy_hub):
    admin = koji_session(policy_hub, *ADMIN)
    host, _ = host_session(policy_hub, admin)
    builder_user = make_user(policy_hub, admin, perms=("repo",))
    builder_id = admin.getUser(builder_user[0])["id"]
    plain_id = admin.getUser(make_user(policy_hub, admin)[0])["id"]
    git = {"scm_type": "GIT", "scm_host": "pkgs.example.com"}

    def ask(**data):
        return host.host.evalPolicy("build_from_scm", {**git, **data})

    assert ask(scm_host="evil.example.com", user_id=builder_id) == "deny that host is not trusted"
    assert ask(scm_repository="/rpms/hello.git", user_id=builder_id) == "allow"
    assert ask(scm_repository="/rpms/hello.git", user_id=plain_id) == "deny not on the list"
    assert ask(scm_type="SVN", user_id=builder_id) == "deny only git here"
    assert ask(scratch=True) == "allow"
    with pytest.raises(koji.ActionNotAllowed, match="policy build_from_scm refused: not on the list"):
        host.host.assertPolicy("build_from_scm", git)
    with pytest.raises(koji.GenericError, match="no such policy: nope"):
        host.host.evalPolicy("nope", {})
    with pytest.raises(koji.GenericError):
        admin.host.evalPolicy("build_from_scm", git)  # hosts only


@pytest.mark.slow
def test_a_policy_that_does_not_parse_stops_the_hub_at_start(request, tmp_path):
    with pytest.raises(RuntimeError, match="unknown test 'matches'"):
        start_hub(request, "sqlite", tmp_path, policy={"build_from_scm": ["matches scm_host x :: allow"]})
