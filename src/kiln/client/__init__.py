"""kiln's client library: talk to a hub (kiln's or Koji's) over XML-RPC.

::

    from kiln.client import ClientSession

    session = ClientSession("http://127.0.0.1:8080/kojihub")
    session.login("alice", "secret")
    session.getUser("alice")
    with session.multicall(batch=100) as m:
        calls = [m.getUser(name) for name in names]
    users = [c.result for c in calls]

Errors raised by the hub arrive as the classes of :mod:`kiln.protocol.errors`
(GenericError and its subclasses, by fault code); transport failures that
outlast the retries arrive as the ``requests`` exception that ended them.
"""

from kiln.client.multicall import (
    IN_PROGRESS,
    MultiCallInProgress,
    MultiCallNotReady,
    MultiCallSession,
    VirtualCall,
)
from kiln.client.session import DEFAULT_OPTS, ClientSession

__all__ = [
    "DEFAULT_OPTS",
    "IN_PROGRESS",
    "ClientSession",
    "MultiCallInProgress",
    "MultiCallNotReady",
    "MultiCallSession",
    "VirtualCall",
]
