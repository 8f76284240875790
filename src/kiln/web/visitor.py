"""Who is looking: the hub session a logged-in visitor's cookie carries, and the forms' CSRF tokens.

The web never keeps a password.  Logging in opens a hub session for the
visitor; its id and key travel in a cookie signed with the web's secret
(HMAC-SHA256), HttpOnly and SameSite=Lax, so a script cannot read it and
another site cannot send it with a form.  Every form that changes something
carries a token derived from the secret and that hub session: a form made
for one visitor is refused for another, and a forged one has none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

COOKIE = "kiln_session"


def load_secret(secret: str, secret_file: str) -> bytes:
    """The signing secret: given, or kept in ``secret_file`` (made on first use), or one for this process."""
    if secret:
        return secret.encode()
    if secret_file:
        path = Path(secret_file)
        if not path.exists():  # written aside, then linked into place: workers starting at once agree
            path.parent.mkdir(parents=True, exist_ok=True)
            aside = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
            try:
                os.link(aside, path)
            except FileExistsError:
                pass
            finally:
                aside.unlink()
        return path.read_text().strip().encode()
    return secrets.token_hex(32).encode()


@dataclass
class Visitor:
    """A logged-in visitor (``name`` empty: anonymous) and what the hub lets them do."""

    name: str = ""
    user_id: int = 0
    session_id: int = 0
    session_key: str = ""
    csrf: str = ""
    perms: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.name)

    def may(self, perm: str) -> bool:
        return "admin" in self.perms or perm in self.perms

    def owns(self, owner_id: Any) -> bool:
        return bool(self) and owner_id == self.user_id


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, text: str) -> str:
        digest = hmac.new(self._secret, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def csrf(self, session_id: int) -> str:
        return self._mac(f"csrf:{session_id}")

    def cookie_value(self, visitor: Visitor) -> str:
        fields = {"u": visitor.name, "i": visitor.user_id, "s": visitor.session_id, "k": visitor.session_key}
        payload = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def visitor(self, cookie_header: str) -> Visitor:
        """The visitor a request's cookie names; anonymous for none, a tampered one or a malformed one."""
        try:
            jar = SimpleCookie(cookie_header)
        except Exception:  # a malformed Cookie header is an anonymous visit, not an error page
            return Visitor()
        morsel = jar.get(COOKIE)
        if morsel is None or "." not in morsel.value:
            return Visitor()
        payload, mac = morsel.value.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(payload)):
            return Visitor()
        try:
            fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            visitor = Visitor(str(fields["u"]), int(fields["i"]), int(fields["s"]), str(fields["k"]))
        except (ValueError, KeyError, TypeError):
            return Visitor()
        visitor.csrf = self.csrf(visitor.session_id)
        return visitor

    def check_csrf(self, visitor: Visitor, token: str) -> bool:
        return bool(visitor) and hmac.compare_digest(token.encode(), visitor.csrf.encode())


def set_cookie(value: str, secure: bool) -> tuple[str, str]:
    """The Set-Cookie header for a visitor's session (an empty value ends it)."""
    attributes = f"{COOKIE}={value}; Path=/koji; HttpOnly; SameSite=Lax"
    if not value:
        attributes += "; Max-Age=0"
    if secure:
        attributes += "; Secure"
    return ("Set-Cookie", attributes)
