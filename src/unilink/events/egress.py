"""Where webhooks may go: the server POSTs to URLs its tenants chose, so it must not become their way
into the operator's own network (SSRF: internal services, cloud metadata, the server itself).

A webhook URL is accepted when
- its scheme is http or https, and it carries no `user:password@` (a classic way to disguise a host);
- every address its host resolves to is public (globally routable unicast) — or is allowed by the
  operator's allow-list, `UNILINK_WEBHOOK_ALLOW`: comma-separated addresses or CIDR blocks
  (`10.20.0.0/16`, `127.0.0.1`, `::1`) allowing those addresses, and host names, exact
  (`hooks.corp.example`) or by suffix (`*.corp.example`), allowing that name whatever it resolves to.

Refused by default: loopback, private (RFC 1918, IPv6 ULA), link-local (169.254.0.0/16, where cloud
metadata lives; fe80::/10), shared (100.64.0.0/10), multicast, reserved and unspecified addresses,
IPv4 hidden in IPv6 (::ffff:a.b.c.d, 64:ff9b::/96, 2002::/16) by the IPv4 inside, and the addresses
of this machine's own host name.

The check runs at registration (a 422 naming `url`) and again before every delivery, because a name
can be made to resolve elsewhere later (DNS rebinding): `check()` resolves once, checks, and returns
the address to connect to, so that the connection goes to exactly the address that was checked.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import httpx

from unilink.errors import ValidationError

ALLOW_ENV = "UNILINK_WEBHOOK_ALLOW"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

HOST_PATTERN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
ACCEPTED = ("an http:// or https:// URL without user:password@ whose host resolves only to public "
            "addresses (loopback, private, link-local, shared, multicast and reserved ones are refused "
            f"unless the operator allows them in {ALLOW_ENV})")
ALLOW_ACCEPTED = ("comma-separated addresses or CIDR blocks (127.0.0.1, 10.20.0.0/16, ::1) and host names "
                  "(hooks.corp.example, *.corp.example)")


class WebhookTargetRefused(ValidationError):
    """A webhook URL the policy refuses (a 422 naming the field `url`)."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(f"webhook URL refused: {why}", field="url", value=url, accepted=ACCEPTED)
        self.why = why


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IP literals resolve to themselves), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@cache
def own_addresses() -> frozenset[Address]:
    """The addresses of this machine's host name: a tenant must not make the server call itself."""
    try:
        return frozenset(ipaddress.ip_address(a.split("%")[0]) for a in resolve(socket.gethostname(), 0))
    except (OSError, ValueError):
        return frozenset()


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def why_not_public(address: Address) -> str | None:
    """Why a webhook may not go to `address` by default (None: it may)."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        reason = why_not_public(inner)
        return f"{reason} inside an IPv6 address" if reason else None
    kinds = (("loopback", address.is_loopback), ("link-local (cloud metadata lives there)", address.is_link_local),
             ("unspecified", address.is_unspecified), ("multicast", address.is_multicast),
             ("private", address.is_private), ("not globally routable", not address.is_global))
    for kind, matches in kinds:
        if matches:
            return f"a {kind} address"
    if address in own_addresses():
        return "an address of this server"
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Target:
    """A checked webhook URL and the address to connect to (and only that one)."""

    url: httpx.URL
    address: str

    def request_url(self) -> httpx.URL:
        """The URL with the checked address in place of the name (no second resolution by the client)."""
        return self.url.copy_with(host=self.address)

    def headers(self) -> dict[str, str]:
        return {"Host": self.url.netloc.decode("ascii")}

    def extensions(self) -> dict[str, str]:
        # TLS is still negotiated and verified for the name in the URL, not for the address
        name = self.url.host
        return {"sni_hostname": name} if self.url.scheme == "https" and not _is_literal(name) else {}


@dataclass(frozen=True)
class EgressPolicy:
    """The operator's allow-list and the rules above; `check(url)` raises `WebhookTargetRefused`."""

    networks: tuple[Network, ...] = ()
    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()  # ".corp.example" for "*.corp.example"
    resolver: Resolver = field(default=resolve, compare=False)

    @classmethod
    def parse(cls, text: str | None, *, resolver: Resolver = resolve) -> EgressPolicy:
        networks: list[Network] = []
        names: set[str] = set()
        suffixes: list[str] = []
        for entry in (e.strip().lower() for e in (text or "").split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if not HOST_PATTERN.match(entry):
                raise ValidationError("bad webhook allow-list entry", field=ALLOW_ENV, value=entry,
                                      accepted=ALLOW_ACCEPTED)
            if entry.startswith("*."):
                suffixes.append(entry[1:])
            else:
                names.add(entry)
        return cls(tuple(networks), frozenset(names), tuple(suffixes), resolver)

    @classmethod
    def from_env(cls) -> EgressPolicy:
        return cls.parse(os.environ.get(ALLOW_ENV))

    def check(self, url: str) -> Target:
        parsed = self._parse(url)
        host = parsed.raw_host.decode("ascii").lower()
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolver(host.strip("[]"), port)]
        except (OSError, UnicodeError, ValueError):
            raise WebhookTargetRefused(url, f"the host {host} does not resolve") from None
        if not addresses:
            raise WebhookTargetRefused(url, f"the host {host} does not resolve")
        if not self._name_allowed(host):
            for address in addresses:
                reason = why_not_public(address)
                if reason and not any(address in net for net in self.networks):
                    shown = host if _is_literal(host) else f"{host} resolves to {address}"
                    raise WebhookTargetRefused(url, f"{shown}, {reason}")
        return Target(parsed, str(addresses[0]))

    @staticmethod
    def _parse(url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise WebhookTargetRefused(url, "not a valid URL") from None
        if parsed.scheme not in ("http", "https"):
            raise WebhookTargetRefused(url, f"the scheme {parsed.scheme or '(none)'} is not http or https")
        if parsed.userinfo:
            raise WebhookTargetRefused(url, "user:password@ is not accepted in a webhook URL (sign with the secret)")
        if not parsed.raw_host:
            raise WebhookTargetRefused(url, "the URL has no host")
        return parsed

    def _name_allowed(self, host: str) -> bool:
        return host in self.names or any(host.endswith(suffix) for suffix in self.suffixes)
