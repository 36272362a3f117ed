"""Address pools and subscription rules (pure), on figures worked by hand."""

from __future__ import annotations

import pytest

from unilink.coop import members as core
from unilink.coop import pools
from unilink.errors import ConflictError, InfeasibleError, ValidationError


def test_public_pool_skips_network_and_broadcast() -> None:
    spec = pools.check_pool("public", "ipv4", "192.0.2.8/29")
    assert pools.capacity(spec) == 6  # 8 addresses less .8 and .15
    assert [pools.value_of(spec, s).text for s in (0, 5)] == ["192.0.2.9", "192.0.2.14"]
    tiny = pools.check_pool("p2p", "ipv4", "192.0.2.0/31")
    assert pools.capacity(tiny) == 2 and pools.value_of(tiny, 1).text == "192.0.2.1"


def test_cgnat_shares_an_address_in_port_blocks() -> None:
    """100.64.0.0/10: 4,194,302 usable addresses × (64,512 ports / 4,032 a block = 16 shares)."""
    spec = pools.check_pool("cgn", "cgnat", "100.64.0.0/10", port_block=4032)
    assert pools.capacity(spec) == 4_194_302 * 16
    assert pools.value_of(spec, 0).text == "100.64.0.1:1024-5055"
    assert pools.value_of(spec, 15).text == "100.64.0.1:61504-65535"  # 1024 + 15 × 4032 … 65535
    assert pools.value_of(spec, 16).text == "100.64.0.2:1024-5055"


def test_ipv6_delegates_a_56_out_of_a_48() -> None:
    spec = pools.check_pool("v6", "ipv6", "2001:db8:10::/48", delegated_length=56)
    assert pools.capacity(spec) == 256
    assert pools.value_of(spec, 0).text == "2001:db8:10::/56"
    assert pools.value_of(spec, 1).text == "2001:db8:10:100::/56"
    assert pools.value_of(spec, 255).text == "2001:db8:10:ff00::/56"


def test_lowest_free_and_exhaustion() -> None:
    assert pools.lowest_free(pools.check_pool("public", "ipv4", "192.0.2.0/29"), {0, 2}) == 1
    spec = pools.check_pool("public", "ipv4", "192.0.2.0/30")
    with pytest.raises(InfeasibleError) as err:
        pools.lowest_free(spec, {0, 1})
    assert err.value.details["field"] == "pools.public" and err.value.details["capacity"] == 2


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"kind": "ipx", "prefix": "10.0.0.0/8"}, "pool.kind"),
    ({"kind": "ipv4", "prefix": "10.0.0.1/8"}, "pool.prefix"),      # host bits set
    ({"kind": "ipv4", "prefix": "2001:db8::/48"}, "pool.prefix"),
    ({"kind": "cgnat", "prefix": "100.64.0.0/10", "port_block": 1000}, "pool.port_block"),  # 64,512 % 1000 ≠ 0
    ({"kind": "ipv6", "prefix": "2001:db8::/48", "delegated_length": 48}, "pool.delegated_length"),
    ({"kind": "ipv4", "prefix": "192.0.2.0/24", "delegated_length": 56}, "pool.delegated_length"),
])
def test_bad_pools_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        pools.check_pool("p", **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_states_move_only_as_allowed() -> None:
    core.check_transition("requested", "active", subscription=1)
    core.check_transition("suspended", "active", subscription=1)
    with pytest.raises(ConflictError) as err:
        core.check_transition("ended", "active", subscription=7)
    assert err.value.field == "state" and "subscription 7 is ended" in err.value.message
    with pytest.raises(ConflictError):
        core.check_transition("requested", "suspended", subscription=1)


def test_shaped_rates_and_the_ceiling() -> None:
    assert core.shaped_rates("active", 300_000_000, 100_000_000, 256_000) == (300_000_000, 100_000_000)
    assert core.shaped_rates("suspended", 300_000_000, 100_000_000, 256_000) == (256_000, 256_000)
    assert core.shaped_rates("suspended", 128_000, 64_000, 256_000) == (128_000, 64_000)  # never above the plan
    assert core.shaped_rates("requested", 1, 1, 1) is None and core.shaped_rates("ended", 1, 1, 1) is None
    line = core.check_line("flat-1", "lyon-pe1", "m1", "500M", "200M")
    core.check_fits_line(core.check_plan("plus", "300M", "100M", 3500), line)
    with pytest.raises(ValidationError) as err:
        core.check_fits_line(core.check_plan("giga", "1G", "100M", 5500), line)
    assert err.value.field == "plan" and "down 1G > 500M" in err.value.message


def test_subscriber_entry_carries_the_cgnat_share() -> None:
    entry = core.subscriber_entry(line="flat-2", router="r", port="m2", down=1, up=2, suspended=True,
                                  ipv4="100.64.0.1", ipv4_ports="1024-5055", ipv6=None)
    assert entry == {"line": "flat-2", "router": "r", "port": "m2", "down": 1, "up": 2, "ipv4": "100.64.0.1",
                     "ipv4_ports": "1024-5055", "suspended": True}
