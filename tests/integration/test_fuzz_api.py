"""Every exported method, called with wrong types, huge and negative numbers, NUL characters and wrong
containers, anonymously, as a user, as an admin and as a host, on both databases: never an internal error.

A method's arguments are checked against its declared parameter types before it
runs (hub/argtypes.py); what passes must then be handled by the method as a
Koji fault a caller can act on.  An internal error (fault 1) is a defect; so is
a reply that is not a well-formed XML-RPC document.  The calls go in multicalls
(the same dispatch and argument checks as single calls, one request for many),
and a sample of them as single calls too.  The values are drawn from a seeded
generator, so a failure names its method and arguments and repeats.
"""

from __future__ import annotations

import random
import re
import xmlrpc.client
from collections.abc import Iterator
from typing import Any

import koji
import pytest
import requests

from kiln.protocol.xmlrpc import Fault, dumps, loads
from tests.conftest import BACKENDS, host_session, koji_session, make_user, start_hub, unique
from tests.support.hub import ADMIN, HubProcess

pytestmark = pytest.mark.slow

SEED = 17
CALLS_PER_METHOD = 8  # per role: about 7,500 calls per database
BATCH = 40
# Calls that end the very session the fuzz is using, or stop the hub's own
# bookkeeping of it: run anonymously only (they need a session to do harm).
SESSION_ENDERS = {"login", "sslLogin", "logout", "logoutChild", "exclusiveSession", "sharedSession", "subsession"}

VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 7, 2**31 - 1, 2**31, -(2**31) - 1, 2**53, 2**63 - 1, 2**63, -(2**63) - 1, 2**64,
    1.5, -0.0, 1e308, "", "x", "admin", "kiln-hello", "build", "noarch", "é", "a" * 300,
    "../../../etc/passwd", "/etc/passwd", "%", "*", "a,b", "-1", "1", [], [1], ["x"], [None], [[[]]], [2**40],
    {}, {"x": 1}, {"id": 1}, {"id": 2**40}, {"name": "x"}, {"id": "x"}, {"order": "-id", "limit": -1},
    {"offset": 2**63}, xmlrpc.client.Binary(b"\x00\xff"), xmlrpc.client.Binary(b"a\x00b"),
]  # fmt: skip


def _arguments(rng: random.Random) -> list:
    return [rng.choice(VALUES) for _ in range(rng.randint(0, 4))]


class Caller:
    """Raw XML-RPC posts with a session's headers: any value kiln's writer can write, 64-bit or not."""

    def __init__(self, url: str, session: koji.ClientSession | None = None) -> None:
        self.url = url
        self.headers = {"Content-Type": "text/xml"}
        self.session = session  # kept: koji's ClientSession logs out when collected
        if session is not None:
            self.headers["Koji-Session-Id"] = str(session.sinfo["session-id"])
            self.headers["Koji-Session-Key"] = session.sinfo["session-key"]
        self.http = requests.Session()

    def post(self, method: str, params: tuple) -> Any:
        """The decoded reply; a fault comes back as koji.Fault-like dict {faultCode, faultString}."""
        reply = self.http.post(self.url, data=document(method, params), headers=self.headers)
        assert reply.status_code in (200, 400), (method, reply.status_code, reply.text[:300])
        if reply.status_code == 400:  # refused before dispatch: not an internal error
            return {"faultCode": 400, "faultString": reply.text}
        try:
            result, _ = loads(reply.content)
        except Fault as fault:
            return {"faultCode": fault.faultCode, "faultString": fault.faultString}
        except ValueError as exc:  # an ill-formed reply is one of the defects this test looks for
            raise AssertionError(f"{method}{params!r:.300}: ill-formed reply {reply.content[:300]!r}") from exc
        return result[0]


def _marked(value: Any) -> Any:
    """Numbers beyond 64 bits as marked text: kiln's writer (rightly) refuses to write them."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return f"{_BIG}{value}{_BIG}"
    if isinstance(value, (list, tuple)):
        return type(value)(_marked(item) for item in value)
    if isinstance(value, dict):
        return {key: _marked(item) for key, item in value.items()}
    return value


_BIG = "BIGNUMBER"


def document(method: str, params: tuple) -> bytes:
    """The call as XML, numbers beyond 64 bits written as ``<i8>`` all the same, as a hostile client may."""
    text = dumps(_marked(params), methodname=method)
    return re.sub(
        f"<value><string>{_BIG}(-?[0-9]+){_BIG}</string></value>", r"<value><i8>\1</i8></value>", text
    ).encode()


def _internal(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("faultCode") == 1


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub of the fuzz's own: the admin's random calls change what they like."""
    yield start_hub(request, request.param, tmp_path_factory.mktemp("fuzz"), max_poll_seconds=1)


@pytest.fixture(scope="module")
def callers(fuzz_hub: HubProcess) -> dict[str, Caller]:
    admin = koji_session(fuzz_hub, *ADMIN)
    # Names the values never hold: a random call may well disable a user named "admin".
    user = koji_session(fuzz_hub, *make_user(fuzz_hub, admin, unique("fuzzer")))
    fuzz_admin = koji_session(fuzz_hub, *make_user(fuzz_hub, admin, unique("fuzzadmin"), perms=("admin",)))
    host, _ = host_session(fuzz_hub, admin)
    return {
        "anonymous": Caller(fuzz_hub.url),
        "user": Caller(fuzz_hub.url, user),
        "admin": Caller(fuzz_hub.url, fuzz_admin),
        "host": Caller(fuzz_hub.url, host),
    }


def _methods(hub: HubProcess) -> list[str]:
    return sorted(koji.ClientSession(hub.url).system.listMethods())


def test_no_internal_error_for_any_argument(fuzz_hub: HubProcess, callers: dict[str, Caller]) -> None:
    methods = _methods(fuzz_hub)
    assert len(methods) > 200
    rng = random.Random(SEED)
    failures = []
    for role, caller in callers.items():
        calls = [
            (method, _arguments(rng))
            for method in methods
            if role == "anonymous" or method not in SESSION_ENDERS
            for _ in range(CALLS_PER_METHOD)
        ]
        rng.shuffle(calls)
        previous: list = []
        for start in range(0, len(calls), BATCH):
            batch = calls[start : start + BATCH]
            entries = [{"methodName": m, "params": args} for m, args in batch]
            results = caller.post("multiCall", (entries,))
            assert isinstance(results, list) and len(results) == len(batch), (role, results, previous)
            previous = batch
            failures += [
                f"{role} {m}{tuple(args)!r:.200}: {cause(fuzz_hub, entry['faultString'])}"
                for (m, args), entry in zip(batch, results, strict=True)
                if _internal(entry)
            ]
    assert not failures, report(failures)


def cause(hub: HubProcess, fault: str) -> str:
    """The exception the hub logged under a fault's reference: its last traceback line."""
    found = re.search(r"reference ([0-9a-f]+)", fault)
    log = hub.log_text()
    at = log.find(f"internal error {found.group(1)}") if found else -1
    if at < 0:
        return fault
    block = log[at : at + 20000].splitlines()[1:]
    raised = [line for line in block if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b", line)]
    return raised[0][:300] if raised else fault


def report(failures: list[str]) -> str:
    """Every method that failed, with its count and first failing call."""
    first: dict[str, str] = {}
    count: dict[str, int] = {}
    for failure in failures:
        method = failure.split("(", 1)[0]  # "role method"
        first.setdefault(method, failure)
        count[method] = count.get(method, 0) + 1
    lines = [f"{len(failures)} internal errors in {len(first)} role/method pairs:"]
    lines += [f"  x{count[m]} {first[m]}" for m in sorted(first)]
    return "\n".join(lines)


def test_single_calls_too(fuzz_hub: HubProcess, callers: dict[str, Caller]) -> None:
    """A call of its own goes through the request's path, not the multicall's: one per method and role."""
    rng = random.Random(SEED + 1)
    failures = []
    for role, caller in callers.items():
        for method in _methods(fuzz_hub):
            if (method in SESSION_ENDERS and role != "anonymous") or method == "host.getTasks":
                continue
            args = _arguments(rng)
            result = caller.post(method, tuple(args))
            if _internal(result):
                failures.append(f"{role} {method}{tuple(args)!r:.200}: {cause(fuzz_hub, result['faultString'])}")
    assert not failures, report(failures)


def test_the_hub_still_serves(fuzz_hub: HubProcess) -> None:
    name = unique("after")
    fuzz_hub.admin_command("add-admin", name, "--password", "pw")
    admin = koji_session(fuzz_hub, name, "pw")
    assert admin.getLoggedInUser()["name"] == name
    tag = admin.createTag(unique("tag"))
    assert admin.getTag(tag)["id"] == tag
