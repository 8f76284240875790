"""A real ``kiln-repod`` process for end-to-end tests."""

from __future__ import annotations

from tests.support.daemon import DaemonProcess


class RepodProcess(DaemonProcess):
    """``kiln-repod`` logged in as an account with the repo permission."""

    name = "repod"

    def __init__(self, hub_url: str, user: str, password: str, **settings: object) -> None:
        super().__init__({"server": hub_url, "user": user, "password": password, **settings})
