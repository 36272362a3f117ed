"""Which address a request comes from: the peer's, unless the peer is a proxy the operator trusts.

`X-Forwarded-For` is a header anyone can send. It is read only when the connection comes from one of
`UNILINK_TRUSTED_PROXIES` (comma-separated addresses or CIDR blocks, e.g. "127.0.0.1, 10.0.0.0/24";
default: none, so the header is ignored): the client is then the right-most address of the header that
is not itself a trusted proxy (each proxy appends the address it received the request from, so that is
the first one no trusted party vouches for). `ClientAddress` puts it in `scope["client"]`, where the
login rate limit and the audit log read it.

`unilink serve` turns uvicorn's own handling of forwarded headers off (uvicorn trusts 127.0.0.1 by
default); when running the app under another server, turn that server's off too (uvicorn:
`--no-proxy-headers`), or it rewrites the client before this code sees the request.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from unilink.errors import ValidationError

TRUSTED_PROXIES_ENV = "UNILINK_TRUSTED_PROXIES"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> TrustedProxies:
        networks = []
        for part in (text or "").split(","):
            if not part.strip():
                continue
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValidationError("not an address or CIDR block", field=TRUSTED_PROXIES_ENV, value=part.strip(),
                                      accepted="comma-separated addresses or CIDR blocks of your reverse proxies, "
                                               "e.g. 127.0.0.1, 10.0.0.0/24 (empty: trust none)") from None
        return cls(tuple(networks))

    @classmethod
    def from_env(cls) -> TrustedProxies:
        return cls.parse(os.environ.get(TRUSTED_PROXIES_ENV))

    def trusts(self, host: str) -> bool:
        address = _address(host)
        return address is not None and any(address in net for net in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address, given the connection's peer and its X-Forwarded-For header (if any)."""
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if _address(hop) is None:  # garbage in a header we were told to trust: stop at the proxy
                return peer
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


class ClientAddress:
    """Pure ASGI: `scope["client"]` becomes the forwarded client when the peer is a trusted proxy."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and self.proxies.trusts(client[0]):
            values = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
            if values:
                scope = {**scope, "client": (self.proxies.client(client[0], ",".join(values)), client[1])}
        await self.app(scope, receive, send)
