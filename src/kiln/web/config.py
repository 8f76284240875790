"""kiln-web's settings: defaults, an INI file (``[kiln-web]``), then the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

SECTIONS = ("kiln-web",)


@dataclass
class WebSettings:
    hub_url: str = field(default="http://127.0.0.1:8080/kojihub", metadata={"help": "the hub's XML-RPC URL"})
    files_url: str = field(
        default="http://127.0.0.1:8080/kojifiles", metadata={"help": "where the hub serves topdir (/kojifiles)"}
    )
    listen: str = field(default="127.0.0.1:8081", metadata={"help": "address and port to serve the pages on"})
    workers: int = field(default=2, metadata={"help": "gunicorn worker processes"})
    log_file: str = field(default="", metadata={"help": "the server's log file (empty: stderr)"})
    log_level: str = field(default="INFO", metadata={"help": "DEBUG, INFO, WARNING or ERROR"})
    secret: str = field(
        default="", metadata={"help": "signs the login cookie and the forms (empty: secret_file, else one per start)"}
    )
    secret_file: str = field(
        default="", metadata={"help": "a file holding the signing secret, made on first use if missing"}
    )
    hub_ca: str = field(
        default="", metadata={"help": "the CA that signed an https hub's certificate (empty: the system's)"}
    )
    client_cert: str = field(
        default="", metadata={"help": "the web's own certificate and key (one PEM file), one of the hub's proxy_dns"}
    )
    proxy_login: bool = field(
        default=False, metadata={"help": "log visitors in by the client certificate the front proxy verified"}
    )
    proxy_addresses: str = field(
        default="127.0.0.1 ::1", metadata={"help": "the front proxies whose identity headers are believed"}
    )
    proxy_user_header: str = field(
        default="X-Remote-User", metadata={"help": "the header naming a Kerberos principal the proxy verified"}
    )
    proxy_verify_header: str = field(default="X-SSL-Client-Verify", metadata={"help": "the proxy's verdict header"})
    proxy_dn_header: str = field(default="X-SSL-Client-S-DN", metadata={"help": "the verified subject's header"})
