"""The pure stages of the engine for a site's backup line: field work, effective intent, attachments,
pools, device inputs and price."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

from unilink.catalog.access import Technology
from unilink.catalog.prices import DEFAULT_PRICE_BOOK
from unilink.devices.device_intent import BACKUP_DISTANCE
from unilink.engine.admission import rates_at
from unilink.engine.devices import tenant_devices
from unilink.engine.fieldwork import backup_key, effective_intent, field_work, physical_of
from unilink.engine.pricing import quote_intent
from unilink.engine.resources import allocate, attachments, wanted_owners
from unilink.inventory.model import Pop
from unilink.services.intent import Intent, parse_intent

M = 10**6
LTE = {"technology": "4g", "provider": "Orange Wholesale France", "port": "150M", "down": "100M", "up": "30M"}
ROUTERS = {"A": "paris-pe1", "B": "lyon-pe1"}


def doc(backup: dict[str, Any] | None = None) -> dict[str, Any]:
    sites: list[dict[str, Any]] = [
        {"name": "A", "pop": "Paris", "access": {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}},
        {"name": "B", "pop": "Lyon", "access": {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}},
    ]
    if backup is not None:
        sites[0]["backup"] = backup
    return {"sites": sites,
            "services": [{"kind": "internet", "name": "net-a", "site": "A", "rate": "100M"},
                         {"kind": "ipvpn", "name": "corp", "members": [{"site": "A", "rate": "200M"},
                                                                       {"site": "B", "rate": "200M"}]},
                         {"kind": "ipvpn", "name": "ops", "members": [{"site": "A", "rate": "50M"},
                                                                      {"site": "B", "rate": "50M"}]},
                         {"kind": "eline", "name": "wire", "a": "A", "b": "B", "rate": "10M"}]}


def installed(intent: Intent) -> dict[str, dict[str, Any]]:
    return {s.name: physical_of(s) for s in intent.sites}


def test_a_new_backup_is_an_order_of_its_own_and_removing_one_is_none() -> None:
    bare, backed = parse_intent(doc()), parse_intent(doc(LTE))
    [work] = field_work(backed, installed(bare))
    assert (work.site, work.kind, work.lead_time_days) == (backup_key("A"), "new-backup", 3)
    assert work.item["role"] == "backup" and work.item["access"]["technology"] == "4g"  # priced as a 4g line
    assert field_work(backed, installed(backed)) == []
    assert field_work(bare, installed(backed)) == []  # removal: nobody goes on site
    five_g = parse_intent(doc({**LTE, "technology": "5g", "port": "1G"}))
    [work] = field_work(five_g, installed(backed))
    assert work.kind == "backup-change"


def test_a_new_site_with_a_backup_raises_two_orders() -> None:
    backed = parse_intent(doc(LTE))
    works = {w.site: w.kind for w in field_work(backed, installed(parse_intent(doc())) | {"A": {}})}
    assert works == {"A": "new-access", "A:backup": "new-backup"}
    # the backup line installed first: the site still waits for its own line
    works = {w.site: w.kind for w in field_work(backed, {"A": {"backup": physical_of(backed.sites[0])["backup"]},
                                                          "B": installed(backed)["B"]})}
    assert works == {"A": "new-access"}


def test_while_the_backup_waits_the_site_changes_now_and_keeps_its_installed_backup() -> None:
    deployed = parse_intent(doc(LTE))
    desired_doc = doc({**LTE, "technology": "5g", "port": "1G"})
    desired_doc["services"][0]["rate"] = "300M"
    effective = effective_intent(parse_intent(desired_doc), deployed, {backup_key("A")})
    site = effective.site("A")
    assert site.backup is not None and site.backup.technology is Technology.LTE  # the 4G router serves on
    assert effective.service("net-a").rate == 300 * M  # the rest of the site's change applies now
    new = effective_intent(parse_intent(doc(LTE)), parse_intent(doc()), {backup_key("A")})
    assert new.site("A").backup is None


def test_backup_attachments_mirror_the_ip_ones_at_the_backup_rates() -> None:
    atts = {a.purpose: a for a in attachments(parse_intent(doc(LTE))) if a.site == "A"}
    assert set(atts) == {"vpn:corp", "vpn:ops", "eline:wire", "backup:vpn:corp", "backup:vpn:ops"}  # no E-Line
    corp, ops = atts["backup:vpn:corp"], atts["backup:vpn:ops"]
    assert corp.backup and corp.internet and corp.vpn == "corp" and not ops.internet
    # primary 300M (corp + Internet) and 50M add up over the backup's 100M/30M: shared in proportion
    assert (corp.down_bps, ops.down_bps) == (100 * M * 300 // 350, 100 * M * 50 // 350)
    assert corp.down_bps + ops.down_bps <= 100 * M and corp.up_bps + ops.up_bps <= 30 * M
    small = doc({**LTE, "down": "150M", "up": "50M"})
    small["services"] = small["services"][:2]
    [backup] = [a for a in attachments(parse_intent(small)) if a.backup]
    assert (backup.down_bps, backup.up_bps) == (150 * M, 50 * M)  # min(300M service, 150M backup)
    small["services"][0]["rate"] = "10M"
    small["services"][1]["members"][0]["rate"] = "20M"
    [backup] = [a for a in attachments(parse_intent(small)) if a.backup]
    assert (backup.down_bps, backup.up_bps) == (30 * M, 30 * M)  # the services' own rates fit: kept


def test_pools_give_the_backup_its_port_vlan_and_subnet_and_take_them_back() -> None:
    wanted = wanted_owners("acme", parse_intent(doc(LTE)), ROUTERS)
    mine = {("port", "paris-pe1", "acme/A:backup"), ("vlan", "paris-pe1", "acme/A/backup:vpn:corp"),
            ("p2p", "", "acme/A/backup:vpn:corp"), ("vlan", "paris-pe1", "acme/A/backup:vpn:ops")}
    assert mine <= wanted
    new, released = allocate({}, {}, wanted)
    values = {(a.pool, a.scope, a.owner): a.value for a in new}
    assert values[("port", "paris-pe1", "acme/A:backup")] != values[("port", "paris-pe1", "acme/A")]
    assert released == []
    _, released = allocate({}, values, wanted_owners("acme", parse_intent(doc()), ROUTERS))
    assert {(a.pool, a.owner) for a in released} == {
        ("port", "acme/A:backup"), ("vlan", "acme/A/backup:vpn:corp"), ("p2p", "acme/A/backup:vpn:corp"),
        ("vlan", "acme/A/backup:vpn:ops"), ("p2p", "acme/A/backup:vpn:ops")}


def test_device_inputs_route_the_site_through_the_backup_at_a_worse_distance() -> None:
    intent = parse_intent(doc(LTE))
    new, _ = allocate({}, {}, wanted_owners("acme", intent, ROUTERS))
    alloc = {(a.pool, a.scope, a.owner): a.value for a in new}
    devices = tenant_devices("acme", intent, rates_at(intent, datetime(2026, 1, 1, tzinfo=UTC)), alloc, ROUTERS)
    atts = {(a.site, a.backup, a.vpns): a for a in devices.attachments}
    primary, backup = atts[("A", False, ("corp",))], atts[("A", True, ("corp",))]
    assert backup.port != primary.port and backup.vlan != primary.vlan and backup.ipv4 != primary.ipv4
    assert backup.routed_prefixes == primary.routed_prefixes  # the primary CE address, through both lines
    ce = ipaddress.ip_network(primary.ipv4 or "").network_address + 1
    assert primary.routed_prefixes[0] == f"{ce}/32"
    assert atts[("B", False, ("corp",))].routed_prefixes == ()  # no backup: nothing added
    assert BACKUP_DISTANCE > 200


def test_the_backup_line_is_priced_from_the_book() -> None:
    pops = {"Paris": Pop("Paris", "Paris", "FR", 48.86, 2.35), "Lyon": Pop("Lyon", "Lyon", "FR", 45.76, 4.84)}
    before, after = quote_intent(parse_intent(doc()), pops), quote_intent(parse_intent(doc(LTE)), pops)
    assert after.monthly_cents - before.monthly_cents == DEFAULT_PRICE_BOOK.access_monthly_cents[Technology.LTE]
    assert [ln.item for ln in after.lines if ln not in before.lines] == ["backup A (4g 150M)"]
