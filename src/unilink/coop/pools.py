"""A cooperative's address pools (pure): what a member is given from each, slot by slot.

Three kinds (docs/members.md):
- `ipv4`: public addresses, one per member: every address of the prefix but the network and
  broadcast ones (a /31 or /32 gives all of its). The member's port is unnumbered (the access
  router's loopback is the gateway), so no address is spent on a gateway per member.
- `cgnat`: a share of a shared address (RFC 6598's 100.64.0.0/10, or any other range): each
  address is split into blocks of `port_block` ports from 1024 to 65535, one block per member
  (RFC 6888 asks a CGN for deterministic, bounded port sets; a block is what the CGN logs).
- `ipv6`: a delegated prefix of `delegated_length` bits out of the pool's prefix (a /56 out of a /48:
  256 members), as RIPE-690 recommends for homes.

A pool's values are numbered by **slot** (0, 1, 2, …): the store holds the slot, unique per pool
among live allocations, and `value_of` gives the address. The lowest free slot is given first
(deterministic, like the engine's pools).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from unilink.errors import InfeasibleError, ValidationError

POOL_KINDS = ("ipv4", "cgnat", "ipv6")
FIRST_PORT = 1024           # below are the well-known ports: not shared out
LAST_PORT = 65535
PORTS_SHARED = LAST_PORT - FIRST_PORT + 1  # 64,512


@dataclass(frozen=True, slots=True)
class PoolSpec:
    name: str
    kind: str
    prefix: str
    port_block: int | None = None        # cgnat: ports per member
    delegated_length: int | None = None  # ipv6: the member's prefix length

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.prefix)


@dataclass(frozen=True, slots=True)
class PoolValue:
    """What one slot gives a member: an IPv4 address (with its port block for a CGNAT share) or an
    IPv6 prefix."""

    kind: str
    address: str             # "192.0.2.10", "100.64.0.2", or "2001:db8:10:100::/56"
    ports: str | None = None  # "1024-2047" for a CGNAT share

    @property
    def text(self) -> str:
        return f"{self.address}:{self.ports}" if self.ports else self.address


def check_pool(name: str, kind: str, prefix: str, *, port_block: int | None = None,
               delegated_length: int | None = None) -> PoolSpec:
    """A pool's spec checked field by field (the error names the field, the value, what is accepted)."""
    if kind not in POOL_KINDS:
        raise ValidationError("unknown pool kind", field="pool.kind", value=kind, accepted=", ".join(POOL_KINDS))
    try:
        network = ipaddress.ip_network(prefix, strict=True)
    except (ValueError, TypeError):
        raise ValidationError("not a network prefix", field="pool.prefix", value=prefix,
                              accepted="a network in CIDR notation without host bits, e.g. 100.64.0.0/10 "
                                       "or 2001:db8:10::/48") from None
    if (network.version == 6) != (kind == "ipv6"):
        raise ValidationError(f"a {kind} pool needs an IPv{6 if kind == 'ipv6' else 4} prefix", field="pool.prefix",
                              value=prefix, accepted="an IPv6 prefix for ipv6, an IPv4 prefix for ipv4 and cgnat")
    if kind == "cgnat":
        if isinstance(port_block, bool) or not isinstance(port_block, int) or not 1 <= port_block <= PORTS_SHARED \
                or PORTS_SHARED % port_block:
            raise ValidationError("not a port block size", field="pool.port_block", value=port_block,
                                  accepted=f"a divisor of {PORTS_SHARED} (ports {FIRST_PORT}-{LAST_PORT}), "
                                           "e.g. 1008, 2016, 4032")
    elif port_block is not None:
        raise ValidationError("only a cgnat pool has port blocks", field="pool.port_block", value=port_block,
                              accepted="none for an ipv4 or ipv6 pool")
    if kind == "ipv6":
        if isinstance(delegated_length, bool) or not isinstance(delegated_length, int) \
                or not network.prefixlen < delegated_length <= 64:
            raise ValidationError("not a delegated prefix length", field="pool.delegated_length",
                                  value=delegated_length,
                                  accepted=f"an integer from {network.prefixlen + 1} to 64, e.g. 56")
    elif delegated_length is not None:
        raise ValidationError("only an ipv6 pool delegates prefixes", field="pool.delegated_length",
                              value=delegated_length, accepted="none for an ipv4 or cgnat pool")
    return PoolSpec(name=name, kind=kind, prefix=str(network), port_block=port_block,
                    delegated_length=delegated_length)


def _addresses(network: ipaddress.IPv4Network) -> int:
    """Usable addresses: all but the network and broadcast ones, except in a /31 or /32."""
    return network.num_addresses if network.prefixlen >= 31 else network.num_addresses - 2


def _address(network: ipaddress.IPv4Network, index: int) -> ipaddress.IPv4Address:
    offset = 0 if network.prefixlen >= 31 else 1
    return network.network_address + offset + index


def capacity(spec: PoolSpec) -> int:
    """How many members the pool can serve at once."""
    network = spec.network
    if spec.kind == "ipv6":
        assert spec.delegated_length is not None
        return 2 ** (spec.delegated_length - network.prefixlen)
    count = _addresses(network)  # type: ignore[arg-type]
    if spec.kind == "cgnat":
        assert spec.port_block is not None
        return count * (PORTS_SHARED // spec.port_block)
    return count


def value_of(spec: PoolSpec, slot: int) -> PoolValue:
    """The address (or prefix) that `slot` stands for."""
    if not 0 <= slot < capacity(spec):
        raise ValidationError("slot out of the pool", field="slot", value=slot, accepted=f"0..{capacity(spec) - 1}")
    network = spec.network
    if spec.kind == "ipv6":
        assert spec.delegated_length is not None
        step = 2 ** (128 - spec.delegated_length)
        first = ipaddress.IPv6Address(int(network.network_address) + slot * step)
        return PoolValue("ipv6", f"{first}/{spec.delegated_length}")
    if spec.kind == "cgnat":
        assert spec.port_block is not None
        shares = PORTS_SHARED // spec.port_block
        address, block = divmod(slot, shares)
        start = FIRST_PORT + block * spec.port_block
        return PoolValue("cgnat", str(_address(network, address)),  # type: ignore[arg-type]
                         f"{start}-{start + spec.port_block - 1}")
    return PoolValue("ipv4", str(_address(network, slot)))  # type: ignore[arg-type]


def lowest_free(spec: PoolSpec, taken: Iterable[int]) -> int:
    """The lowest slot not in `taken`; InfeasibleError naming the pool when every slot is given."""
    used = set(taken)
    size = capacity(spec)
    if len(used) >= size:
        raise InfeasibleError(
            f"address pool {spec.name} ({spec.kind} {spec.prefix}) is exhausted: all {size} given out",
            details={"field": f"pools.{spec.name}", "pool": spec.name, "prefix": spec.prefix,
                     "capacity": size, "allocated": len(used),
                     "accepted": "end a subscription, or add a pool of this kind to the cooperative"})
    slot = 0
    while slot in used:
        slot += 1
    return slot
