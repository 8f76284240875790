"""Several calls in one HTTP request: ``session.multicall()`` and the legacy switch.

The hub runs the calls of one ``multiCall`` request in order, in one database
transaction, each under its own savepoint, and answers a list in the same
order: ``[value]`` for a success, a ``{faultCode, faultString, ...}`` struct
for a failure.  That shape is the contract the official koji client reads, so
we read it the same way.

Two interfaces, both Koji's:

- the modern one: ``m = session.multicall(strict=False, batch=None)`` queues
  calls as :class:`VirtualCall` objects; ``m.call_all()`` (or leaving a
  ``with`` block cleanly) sends them; each ``vc.result`` then gives the value
  or raises that call's own error;
- the legacy one: ``session.multicall = True`` makes the session queue later
  calls (they return the :data:`IN_PROGRESS` marker) until
  ``session.multiCall()`` sends them and returns the raw entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kiln.protocol import errors
from kiln.protocol.xmlrpc import encode_args

if TYPE_CHECKING:
    from kiln.client.session import ClientSession


class MultiCallNotReady(Exception):
    """A VirtualCall's result was read before its multicall was sent."""


class MultiCallInProgress:
    """The marker a call returns while the legacy multicall switch is on.

    Its value only says "queued": the real answers come back from
    ``session.multiCall()``.
    """

    def __repr__(self) -> str:
        return "<MultiCallInProgress>"


IN_PROGRESS = MultiCallInProgress()


def entry_error(entry: Any) -> Exception | None:
    """The exception a multicall entry stands for, or None for a success.

    Entries are ``[value]`` for a success and a fault struct for a failure.
    """
    if isinstance(entry, dict):
        return errors.from_fault(int(entry.get("faultCode", 1000)), str(entry.get("faultString", "")))
    return None


def raise_first_fault(entries: Sequence[Any]) -> None:
    """``strict`` mode: raise the first failure among ``entries``, if any."""
    for entry in entries:
        error = entry_error(entry)
        if error is not None:
            raise error


def batches(items: list, size: int | None) -> Iterator[list]:
    """``items`` in chunks of ``size`` (all at once when size is None or 0)."""
    if not size or size <= 0:
        yield items
        return
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MethodProxy:
    """``proxy.host.getID(...)``: attribute access builds dotted method names.

    Calling the proxy hands the name and the arguments to ``invoke``; the
    client session sends them, a multicall queues them.
    """

    def __init__(self, invoke: Callable[..., Any], name: str) -> None:
        self._invoke = invoke
        self._name = name

    def __getattr__(self, attr: str) -> MethodProxy:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return MethodProxy(self._invoke, f"{self._name}.{attr}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._invoke(self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<MethodProxy {self._name}>"


class VirtualCall:
    """One queued call of a multicall; ``result`` is ready after the send."""

    def __init__(self, method: str, args: tuple, kwargs: dict) -> None:
        self.method = method
        self.args = args
        self.kwargs = kwargs
        self._entry: Any = IN_PROGRESS

    def format(self) -> dict:
        """The call as the hub's ``multiCall`` expects it, kwargs already encoded."""
        return {"methodName": self.method, "params": list(encode_args(*self.args, **self.kwargs))}

    @property
    def ready(self) -> bool:
        return self._entry is not IN_PROGRESS

    @property
    def result(self) -> Any:
        """The call's value; raises its converted fault, or MultiCallNotReady before the send."""
        if self._entry is IN_PROGRESS:
            raise MultiCallNotReady(f"{self.method}: the multicall has not been sent yet")
        error = entry_error(self._entry)
        if error is not None:
            raise error
        return self._entry[0]

    def __repr__(self) -> str:
        state = "ready" if self.ready else "pending"
        return f"<VirtualCall {self.method} {state}>"


class MultiCallSession:
    """Queues calls made on it and sends them together with ``call_all``.

    Acts like a session for method calls (``m.getUser(...)``,
    ``m.callMethod("getUser", ...)``), each returning a :class:`VirtualCall`.
    """

    def __init__(self, session: ClientSession, strict: bool = False, batch: int | None = None) -> None:
        self._session = session
        self._strict = strict
        self._batch = batch
        self._calls: list[VirtualCall] = []

    def _queue(self, name: str, args: tuple, kwargs: dict) -> VirtualCall:
        call = VirtualCall(name, tuple(args), dict(kwargs))
        self._calls.append(call)
        return call

    def __getattr__(self, name: str) -> MethodProxy:
        if name.startswith("_"):
            raise AttributeError(name)
        return MethodProxy(self._queue, name)

    def callMethod(self, name: str, *args: Any, **kwargs: Any) -> VirtualCall:
        return self._queue(name, args, kwargs)

    def call_all(self, strict: bool | None = None, batch: int | None = None) -> list:
        """Send the queued calls; returns the raw entries (``[value]`` or fault dicts).

        With ``batch=N`` the calls go in requests of at most N calls, each its
        own transaction on the hub.  With ``strict`` the first failure is
        raised, but only after every batch has run, so all results are set.
        """
        strict = self._strict if strict is None else strict
        batch = self._batch if batch is None else batch
        calls, self._calls = self._calls, []
        entries: list = []
        for chunk in batches(calls, batch):
            if not chunk:
                continue
            answered = self._session.send_multicall([c.format() for c in chunk])
            for call, entry in zip(chunk, answered, strict=True):
                call._entry = entry
            entries.extend(answered)
        if strict:
            raise_first_fault(entries)
        return entries

    # The name the legacy interface uses for the same thing.
    multiCall = call_all

    def __enter__(self) -> MultiCallSession:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.call_all()


class MultiCallSwitch:
    """``session.multicall``: a boolean switch for the legacy interface and a
    factory for the modern one, because Koji overloads that one name with both.
    """

    def __init__(self, session: ClientSession) -> None:
        self.value = False
        self._session = session

    def __bool__(self) -> bool:
        return bool(self.value)

    def __call__(self, strict: bool = False, batch: int | None = None) -> MultiCallSession:
        return MultiCallSession(self._session, strict=strict, batch=batch)

    def __repr__(self) -> str:
        return f"<MultiCallSwitch {'on' if self.value else 'off'}>"
