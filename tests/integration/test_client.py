"""kiln's client library against a real hub: sessions, call numbers, faults, multicall, retries, renewal."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

import kiln
import kiln.client
from kiln.client import IN_PROGRESS, ClientSession, MultiCallNotReady, MultiCallSession, VirtualCall
from kiln.protocol import errors
from kiln.protocol.xmlrpc import loads
from tests.conftest import ADMIN, make_user, start_hub, unique
from tests.support.pgserver import free_port

KOJI_VERSION = tuple(int(part) for part in kiln.KOJI_VERSION.split("."))


def client(url: str, **opts: object) -> ClientSession:
    """A kiln session that fails fast unless a test asks for retries."""
    return ClientSession(url, opts={"max_retries": 0, **opts})


class Recorder:
    """Every HTTP exchange of a session, through the requests response hook."""

    def __init__(self, session: ClientSession) -> None:
        self.responses: list[requests.Response] = []
        session.http.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.responses.append(response)

    @property
    def methods(self) -> list[str | None]:
        return [loads(r.request.body)[1] for r in self.responses]

    @property
    def callnums(self) -> list[str | None]:
        return [r.request.headers.get("Koji-Session-Callnum") for r in self.responses]

    def clear(self) -> None:
        self.responses.clear()


@pytest.fixture
def anon_client(hub) -> ClientSession:
    return client(hub.url)


@pytest.fixture
def admin_client(hub) -> Iterator[ClientSession]:
    session = client(hub.url)
    session.login(*ADMIN)
    yield session
    session.logout()


def session_row(hub, session_id: int, **values: object) -> None:
    """Test setup straight in the hub's database (e.g. expire a session now)."""
    engine = sa.create_engine(hub.db_url)
    with engine.begin() as conn:
        sets = ", ".join(f"{key} = :{key}" for key in values)
        conn.execute(sa.text(f"UPDATE sessions SET {sets} WHERE id = :id"), {"id": session_id, **values})
    engine.dispose()


# --- public surface and plain calls ------------------------------------------------


def test_public_names_are_exported():
    assert sorted(kiln.client.__all__) == sorted(
        [
            "DEFAULT_OPTS",
            "IN_PROGRESS",
            "ClientSession",
            "MultiCallInProgress",
            "MultiCallNotReady",
            "MultiCallSession",
            "VirtualCall",
        ]
    )
    for name in kiln.client.__all__:
        assert getattr(kiln.client, name) is not None


def test_anonymous_calls_and_the_hub_versions(anon_client):
    assert not anon_client.logged_in
    assert anon_client.getAPIVersion() == 1
    assert anon_client.callMethod("getKojiVersion") == kiln.KOJI_VERSION
    assert anon_client.hub_version == KOJI_VERSION
    assert anon_client.hub_version_str == kiln.KOJI_VERSION
    assert anon_client.kiln_version == kiln.__version__


def test_versions_are_known_before_any_other_call(hub):
    session = client(hub.url)
    recorder = Recorder(session)
    assert session.kiln_version == kiln.__version__
    assert session.hub_version == KOJI_VERSION
    assert recorder.methods == ["getKojiVersion"]  # one call, then the headers of every reply


def test_dotted_method_names(anon_client):
    assert "getUser" in anon_client.system.listMethods()
    assert anon_client.callMethod("system.listMethods") == anon_client.system.listMethods()


def test_keyword_arguments(hub, admin_client):
    ghost = unique("ghost")
    assert admin_client.getUser(ghost) is None
    with pytest.raises(errors.GenericError, match=f"No such user: '{ghost}'"):
        admin_client.getUser(ghost, strict=True)
    assert admin_client.getUser(userInfo=ADMIN[0], strict=True)["name"] == ADMIN[0]
    assert "id" not in admin_client.getSessionInfo()
    assert admin_client.getSessionInfo(details=True)["id"] == admin_client.sinfo["session-id"]


def test_64_bit_integers_and_nil_travel_both_ways(anon_client):
    recorder = Recorder(anon_client)
    values = [2**31 - 1, 2**31, 2**40, -(2**63), 2**63 - 1, None]
    assert anon_client.echo(*values) == values
    assert b"<i8>1099511627776</i8>" in recorder.responses[0].request.body
    with pytest.raises(OverflowError):
        anon_client.echo(2**63)


def test_faults_arrive_as_the_protocol_error_classes(hub, anon_client):
    with pytest.raises(errors.GenericError, match="Invalid method: noSuchMethod") as invalid:
        anon_client.noSuchMethod()
    assert type(invalid.value) is errors.GenericError
    with pytest.raises(errors.ActionNotAllowed):
        anon_client.createUser(unique())
    with pytest.raises(errors.ParameterError):
        anon_client.getAPIVersion(1, 2)
    with pytest.raises(errors.AuthError, match="invalid username or password"):
        client(hub.url).login(ADMIN[0], "wrong")


def test_faults_are_answers_and_never_retried(hub):
    session = client(hub.url, max_retries=5, retry_interval=0)
    recorder = Recorder(session)
    with pytest.raises(errors.GenericError):
        session.getUser(unique("ghost"), strict=True)
    assert len(recorder.responses) == 1


# --- sessions and call numbers ---------------------------------------------------------


def test_login_puts_the_session_in_headers(hub, admin):
    name, password = make_user(hub, admin)
    session = client(hub.url)
    recorder = Recorder(session)
    sinfo = session.login(name, password)
    assert session.logged_in and session.sinfo == sinfo and session.callnum == 0
    assert set(sinfo) >= {"session-id", "session-key"}
    assert session.getLoggedInUser()["name"] == name
    assert session.getLoggedInUser()["name"] == name
    login_request, first, _ = (r.request for r in recorder.responses)
    assert "Koji-Session-Id" not in login_request.headers
    assert first.headers["Koji-Session-Id"] == str(sinfo["session-id"])
    assert first.headers["Koji-Session-Key"] == sinfo["session-key"]
    assert recorder.callnums == [None, "0", "1"]
    assert session.callnum == 2


def test_login_reads_credentials_from_opts(hub, admin):
    name, password = make_user(hub, admin)
    session = client(hub.url, user=name, password=password)
    session.login()
    assert session.getLoggedInUser()["name"] == name
    with pytest.raises(errors.AuthError, match="needs a user name and a password"):
        client(hub.url).login()


def test_a_logged_in_write_stores_its_call_number(admin_client):
    admin_client.createUser(unique())  # call 0 writes: the hub stores 0
    assert admin_client.getSessionInfo()["callnum"] == 0  # call 1 only reads: not stored
    admin_client.createUser(unique())  # call 2
    assert admin_client.getSessionInfo()["callnum"] == 2
    assert admin_client.callnum == 4


def test_logout_closes_the_session(hub, admin):
    name, password = make_user(hub, admin)
    session = client(hub.url)
    sinfo = session.login(name, password)
    session.logout()
    assert not session.logged_in and session.sinfo is None and session.callnum is None
    assert session.getLoggedInUser() is None  # anonymous again
    session.logout()  # a second logout is a no-op
    stale = client(hub.url)
    stale.set_session(dict(sinfo))
    with pytest.raises(errors.AuthError, match="Invalid session or bad credentials"):
        stale.getLoggedInUser()


def test_subsession_is_a_new_session_of_the_same_user(hub, admin):
    name, password = make_user(hub, admin)
    session = client(hub.url)
    session.login(name, password)
    sub = session.subsession()
    assert isinstance(sub, ClientSession) and sub is not session
    assert sub.baseurl == session.baseurl and sub.logged_in and sub.callnum == 0
    assert sub.sinfo["session-id"] != session.sinfo["session-id"]
    info = sub.getSessionInfo(details=True)
    assert info["master"] == session.sinfo["session-id"] and info["id"] == sub.sinfo["session-id"]
    assert sub.getLoggedInUser()["name"] == name
    session.logout()  # closes its subsessions too
    with pytest.raises(errors.AuthError, match="Invalid session"):
        sub.getLoggedInUser()


# --- multicall -------------------------------------------------------------------------


def test_multicall_results_and_per_call_faults(anon_client):
    recorder = Recorder(anon_client)
    m = anon_client.multicall()
    assert isinstance(m, MultiCallSession)
    version = m.getAPIVersion()
    missing = m.getUser(unique("ghost"), strict=True)
    echoed = m.callMethod("echo", 1, None)
    listed = m.system.listMethods()
    assert isinstance(version, VirtualCall) and not version.ready
    with pytest.raises(MultiCallNotReady):
        _ = version.result
    assert recorder.responses == []
    raw = m.call_all()
    assert recorder.methods == ["multiCall"]
    assert raw[0] == [1] and raw[1]["faultCode"] == 1000 and raw[2] == [[1, None]]
    assert version.result == 1
    with pytest.raises(errors.GenericError, match="No such user"):
        _ = missing.result
    assert echoed.result == [1, None]
    assert "getUser" in listed.result
    assert m.call_all() == []  # nothing left to send


def test_multicall_sends_the_wire_format_koji_defines(anon_client):
    recorder = Recorder(anon_client)
    m = anon_client.multicall()
    m.getUser("someone", strict=True)
    m.call_all()
    params, method = loads(recorder.responses[0].request.body)
    assert method == "multiCall"
    assert params == ([{"methodName": "getUser", "params": ["someone", {"strict": True, "__starstar": True}]}],)


def test_multicall_strict_raises_the_first_fault_after_all_ran(admin_client):
    name = unique("mc")
    m = admin_client.multicall(strict=True)
    first = m.getUser(unique("first-ghost-"), strict=True)
    second = m.getUser(unique("second-ghost-"), strict=True)
    created = m.createUser(name)
    with pytest.raises(errors.GenericError, match="No such user") as raised:
        m.call_all()
    assert "first-ghost-" in str(raised.value)  # the first one
    assert isinstance(created.result, int)
    assert admin_client.getUser(name)["id"] == created.result
    with pytest.raises(errors.GenericError):
        _ = first.result
    with pytest.raises(errors.GenericError):
        _ = second.result


def test_multicall_batches_are_separate_requests(admin_client):
    recorder = Recorder(admin_client)
    m = admin_client.multicall(batch=2)
    names = [unique("mc") for _ in range(5)]
    calls = [m.createUser(name) for name in names]
    raw = m.call_all()
    assert recorder.methods == ["multiCall"] * 3
    assert [len(loads(r.request.body)[0][0]) for r in recorder.responses] == [2, 2, 1]
    assert recorder.callnums == ["0", "1", "2"]  # one call number per request, not per call
    assert len(raw) == 5 and all(isinstance(c.result, int) for c in calls)
    recorder.clear()
    m.getAPIVersion()
    m.getAPIVersion()
    m.call_all(batch=0)  # call_all's own batch overrides the session's; 0 means one request
    assert recorder.methods == ["multiCall"]


def test_multicall_strict_waits_for_every_batch(admin_client):
    name = unique("mc")
    m = admin_client.multicall(batch=1)
    m.getUser(unique("ghost"), strict=True)
    created = m.createUser(name)
    with pytest.raises(errors.GenericError, match="No such user"):
        m.call_all(strict=True)
    assert created.result == admin_client.getUser(name)["id"]


def test_multicall_context_manager_sends_on_clean_exit_only(admin_client):
    name, unsent = unique("mc"), unique("mc")
    with admin_client.multicall() as m:
        created = m.createUser(name)
        version = m.getAPIVersion()
    assert isinstance(created.result, int) and version.result == 1
    with pytest.raises(RuntimeError), admin_client.multicall() as m:
        never = m.createUser(unsent)
        raise RuntimeError("changed my mind")
    with pytest.raises(MultiCallNotReady):
        _ = never.result
    assert admin_client.getUser(unsent) is None


def test_legacy_multicall_switch(admin_client):
    recorder = Recorder(admin_client)
    assert not admin_client.multicall
    admin_client.multicall = True
    assert admin_client.multicall
    assert admin_client.getAPIVersion() is IN_PROGRESS
    assert admin_client.callMethod("noSuchMethod") is IN_PROGRESS
    assert admin_client.echo(1, key=None) is IN_PROGRESS
    assert recorder.responses == []
    raw = admin_client.multiCall()
    assert not admin_client.multicall
    assert raw[0] == [1]
    assert raw[1]["faultCode"] == 1000 and raw[1]["faultString"] == "Invalid method: noSuchMethod"
    assert raw[2]["faultCode"] == errors.ParameterError.faultCode  # echo takes no keywords
    assert recorder.methods == ["multiCall"]
    assert admin_client.getAPIVersion() == 1  # calls go out again
    with pytest.raises(errors.GenericError, match="must be set to True"):
        admin_client.multiCall()


def test_legacy_multicall_batch_and_strict(admin_client):
    recorder = Recorder(admin_client)
    admin_client.multicall = True
    for _ in range(3):
        admin_client.getAPIVersion()
    assert admin_client.multiCall(batch=2) == [[1], [1], [1]]
    assert recorder.methods == ["multiCall", "multiCall"]
    admin_client.multicall = True
    admin_client.getUser(unique("ghost"), strict=True)
    with pytest.raises(errors.GenericError, match="No such user"):
        admin_client.multiCall(strict=True)
    admin_client.multicall = True
    assert admin_client.multiCall() == []


def test_modern_multicall_sends_even_while_the_legacy_switch_is_on(anon_client):
    anon_client.multicall = True
    queued = anon_client.getAPIVersion()
    with anon_client.multicall() as m:
        version = m.getAPIVersion()
    assert queued is IN_PROGRESS and version.result == 1
    assert anon_client.multiCall() == [[1]]


# --- retries -----------------------------------------------------------------------------


class FlakyProxy:
    """A real HTTP server in front of the hub that fails on request.

    ``plan`` holds what to do with the next requests: ``"503"`` answers 503
    without asking the hub; ``"lose"`` forwards the request, then answers 502,
    as a front proxy that lost the hub's reply would; ``"400"`` answers 400.
    Requests beyond the plan are forwarded.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.plan: list[str] = []
        self.seen: list[tuple[str | None, str | None]] = []  # (method, callnum)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.seen.append((loads(body)[1], self.headers.get("Koji-Session-Callnum")))
                action = proxy.plan.pop(0) if proxy.plan else "forward"
                if action in ("503", "400"):
                    return self._reply(int(action), b"not now\n", "text/plain")
                headers = {k: v for k, v in self.headers.items() if k.startswith("Koji-") or k == "Content-Type"}
                reply = requests.post(proxy.target, data=body, headers=headers, timeout=30)
                if action == "lose":
                    return self._reply(502, b"bad gateway\n", "text/plain")
                return self._reply(reply.status_code, reply.content, reply.headers["Content-Type"])

            def _reply(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/kojihub"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky(hub) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(hub.url)
    yield proxy
    proxy.close()


def test_a_transport_error_resends_the_same_call_number(flaky):
    session = client(flaky.url, max_retries=3, retry_interval=0.01)
    session.login(*ADMIN)
    flaky.seen.clear()
    flaky.plan = ["503", "503"]
    name = unique("retry")
    user_id = session.createUser(name)
    assert flaky.seen == [("createUser", "0")] * 3
    assert session.getUser(name)["id"] == user_id
    assert flaky.seen[-1] == ("getUser", "1")
    session.logout()


def test_a_lost_reply_to_a_write_is_refused_not_repeated(flaky, admin_client):
    session = client(flaky.url, max_retries=3, retry_interval=0.01)
    session.login(*ADMIN)
    name = unique("lost")
    flaky.plan = ["lose"]
    with pytest.raises(errors.RetryError):
        session.createUser(name)  # the hub wrote it once, then refused the replay
    assert admin_client.getUser(name) is not None
    flaky.plan = ["lose"]
    assert session.getLoggedInUser()["name"] == ADMIN[0]  # a read replays harmlessly
    session.logout()


def test_retries_end_after_max_retries(flaky):
    session = client(flaky.url, max_retries=2, retry_interval=0.01)
    flaky.plan = ["503"] * 5
    with pytest.raises(requests.HTTPError, match="503"):
        session.getAPIVersion()
    assert len(flaky.seen) == 3  # the first try and two retries


def test_client_errors_are_not_retried(flaky):
    session = client(flaky.url, max_retries=5, retry_interval=0.01)
    flaky.plan = ["400"]
    with pytest.raises(requests.HTTPError, match="400"):
        session.getAPIVersion()
    assert len(flaky.seen) == 1


@pytest.mark.slow
def test_a_call_waits_for_a_restarting_hub(request, tmp_path):
    hub = start_hub(request, "sqlite", tmp_path)
    session = client(hub.url, max_retries=300, retry_interval=0.05)
    session.login(*ADMIN)
    hub.stop()
    name = unique("patient")
    outcome: dict[str, object] = {}

    def create() -> None:
        try:
            outcome["id"] = session.createUser(name)
        except Exception as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=create)
    worker.start()
    time.sleep(0.2)  # a few refused connections first
    hub.restart()
    worker.join(30)
    assert not worker.is_alive() and "error" not in outcome, outcome
    assert session.getUser(name)["id"] == outcome["id"]
    assert session.getSessionInfo()["callnum"] == 0  # the retries re-sent call 0


def test_a_refused_connection_ends_the_call_without_retries():
    session = client(f"http://127.0.0.1:{free_port()}/kojihub")
    with pytest.raises(requests.ConnectionError):
        session.getAPIVersion()


# --- expired sessions --------------------------------------------------------------------


def test_an_expired_session_is_renewed_and_the_call_repeated(hub, admin):
    name, password = make_user(hub, admin)
    session = client(hub.url)
    sinfo = dict(session.login(name, password))
    recorder = Recorder(session)
    session_row(hub, sinfo["session-id"], expired=True)
    assert session.getLoggedInUser()["name"] == name
    assert recorder.methods == ["getLoggedInUser", "login", "getLoggedInUser"]
    # The renewal names the session it renews; the count goes on, as the hub keeps the stored number.
    assert recorder.callnums == ["0", "1", "2"]
    assert session.sinfo["session-id"] == sinfo["session-id"]
    assert session.sinfo["session-key"] != sinfo["session-key"]
    renewal, _ = loads(recorder.responses[1].request.body)
    assert renewal[-1] == {"opts": None, "renew": True, "exclusive": False, "__starstar": True}
    assert session.getSessionInfo()["expired"] is False


def test_writes_go_on_after_a_renewal(hub, admin_client):
    admin_client.createUser(unique())  # the hub stores call number 0
    admin_client.createUser(unique())  # and 1
    session_row(hub, admin_client.sinfo["session-id"], expired=True)
    name = unique("after")
    assert admin_client.createUser(name) == admin_client.getUser(name)["id"]
    assert admin_client.getSessionInfo()["callnum"] == 4  # 2 expired, 3 renewed, 4 wrote


def test_an_exclusive_session_renews_and_keeps_its_lock(hub, admin):
    name, password = make_user(hub, admin)
    session = client(hub.url)
    session.login(name, password)
    session.exclusiveSession()
    assert session.exclusive
    session_row(hub, session.sinfo["session-id"], expired=True)
    assert session.getLoggedInUser()["name"] == name
    assert session.getSessionInfo()["exclusive"] is True
    session.logout()


def test_an_expired_session_without_a_password_raises(hub, admin):
    name, password = make_user(hub, admin)
    session = client(hub.url)
    sinfo = session.login(name, password)
    adopted = client(hub.url)
    adopted.set_session(dict(sinfo))
    session_row(hub, sinfo["session-id"], expired=True)
    with pytest.raises(errors.AuthExpired):
        adopted.getLoggedInUser()
    adopted.logout()  # AuthExpired on logout is ignored
    assert not adopted.logged_in


@pytest.mark.slow
def test_sessions_renew_after_the_hubs_renewal_timeout(request, tmp_path):
    # session_renewal_timeout is in minutes and takes fractions: 0.02 is 1.2 s, long
    # enough for a renewal and its repeated call to land inside the new period.
    hub = start_hub(request, "sqlite", tmp_path, session_renewal_timeout=0.02)
    session = client(hub.url)
    first = dict(session.login(*ADMIN))
    sub = session.subsession()
    sub_first = dict(sub.sinfo)
    time.sleep(1.5)
    # The subsession first: a renewal of the master would renew it as well.
    assert sub.getLoggedInUser()["name"] == ADMIN[0]
    assert sub.sinfo["session-id"] == sub_first["session-id"]
    assert sub.sinfo["session-key"] != sub_first["session-key"]
    recorder = Recorder(session)
    created = session.createUser(unique("renewed"))
    assert recorder.methods == ["createUser", "login", "createUser"]
    assert isinstance(created, int)
    assert session.sinfo["session-id"] == first["session-id"]
    assert session.sinfo["session-key"] != first["session-key"]
