"""Hub pieces testable without HTTP: passwords, DNs, names, settings."""

from __future__ import annotations

import pytest

from kiln.hub import auth, config
from kiln.hub.domain import names
from kiln.protocol import errors


def test_password_hashes_are_salted_and_verify():
    first, second = auth.hash_password("pw"), auth.hash_password("pw")
    assert first != second and "pw" not in first
    assert auth.verify_password("pw", first) and auth.verify_password("pw", second)
    assert not auth.verify_password("PW", first)
    assert not auth.verify_password("pw", None) and not auth.verify_password("", first)
    assert not auth.verify_password("pw", "plaintext")


def test_password_cost_applies_to_new_hashes_and_old_ones_still_verify():
    assert config.Settings().password_cost == auth.DEFAULT_PASSWORD_COST == 14
    default, cheap, dear = (auth.hash_password("pw", *cost) for cost in ((), (10,), (16,)))
    assert [h.split("$")[1] for h in (default, cheap, dear)] == [str(2**14), "1024", str(2**16)]
    assert all(auth.verify_password("pw", h) for h in (default, cheap, dear))  # each by its own parameters
    assert not auth.verify_password("pW", cheap)
    for wrong in (3, 21):
        with pytest.raises(ValueError, match="password_cost must be from 4 to 20"):
            config.Settings(password_cost=wrong).resolved()


@pytest.mark.parametrize(
    ("dn", "expected"),
    [
        ("CN=alice,O=Example", "alice"),
        ("O=Example, CN=bob", "bob"),
        ("/C=US/O=Example/CN=carol", "carol"),
        ("O=Example", None),
    ],
)
def test_dn_components(dn, expected):
    assert auth.dn_component(dn, "CN") == expected


def test_name_rules():
    assert names.internal_name("f40-build") == "f40-build"
    assert names.user_name("bob@EXAMPLE.COM") == "bob@EXAMPLE.COM"
    with pytest.raises(errors.GenericError, match="does not match RegexNameInternal"):
        names.internal_name("a b")
    with pytest.raises(errors.GenericError, match="Name should be string"):
        names.user_name(5)
    with pytest.raises(errors.GenericError, match="does not match RegexNameInternal"):
        names.host_name("host@x")
    assert names.arches(["x86_64", "i686,noarch"]) == "x86_64 i686 noarch"
    assert names.arches("x86_64, aarch64") == "x86_64 aarch64"


def test_settings_defaults_and_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KILN_STATE_DIR", raising=False)
    monkeypatch.delenv("KILN_HUB_CONFIG", raising=False)
    defaults = config.load(str(_write(tmp_path, "[hub]\n")))
    assert defaults.db == f"sqlite:///{tmp_path}/.kiln/kiln.db"
    assert defaults.topdir == f"{tmp_path}/.kiln/topdir"
    assert defaults.max_request_length == 4 * 1024 * 1024
    assert defaults.proxy_auth is False and defaults.session_renewal_timeout == 1440
    path = _write(
        tmp_path,
        "[hub]\nworkers = 4\nproxy_auth = yes\nproxy_dns = CN=a,O=x | CN=b,O=y\nplugins = one, two\n"
        "session_renewal_timeout = 0.5\n",
    )
    settings = config.load(str(path), {"workers": 8, "db": None})
    assert settings.workers == 8  # command line beats file
    assert settings.proxy_auth is True
    assert settings.proxy_dns == ["CN=a,O=x", "CN=b,O=y"]
    assert settings.plugins == ["one", "two"]
    assert settings.session_renewal_timeout == 0.5


def _write(tmp_path, text):
    path = tmp_path / "hub.conf"
    path.write_text(text)
    return path


def test_kept_connections_are_reused_once_released_and_replaced_when_broken(tmp_path):
    import threading

    from kiln.hub.db.engine import KeptConnections, make_engine

    kept = KeptConnections(make_engine(f"sqlite:///{tmp_path}/k.db"))
    first = kept.acquire()
    kept.release(first, healthy=True)
    assert kept.acquire() is first
    others = []
    thread = threading.Thread(target=lambda: others.append(kept.acquire()))
    thread.start()
    thread.join()
    assert others[0] is not first
    kept.release(first, healthy=False)
    assert first.closed
    assert kept.acquire() is not first
