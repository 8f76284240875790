"""Who a certificate names: the parts of a distinguished name, as the hub and the web both read them."""

from __future__ import annotations


def dn_component(dn: str, component: str) -> str | None:
    """A component of a DN in either RFC 2253 (``CN=a,O=b``) or slash form."""
    parts = dn.strip("/").split("/") if dn.startswith("/") else dn.split(",")
    for part in parts:
        key, _, value = part.strip().partition("=")
        if key.strip().upper() == component.upper():
            return value.strip()
    return None
