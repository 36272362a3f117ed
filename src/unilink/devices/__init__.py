"""The device layer: from services to router configurations, pushed as one transaction.

API summary (what the engine, the lab and the API use):

- `device_intent.build_device_intents(routers, attachments, vpns, elines) -> dict[router, DeviceIntent]`
  Inputs are frozen dataclasses the engine fills: `AccessAttachment` (site, tenant, router, port,
  vlan, ipv4 /31, ipv6 /127, rate_down_bps, rate_up_bps, internet, vpns, eline, routed_prefixes),
  `VpnInstance` (name, tenant, rd, import_rts, export_rts, vni, topology, hub_sites),
  `ElineInstance` (name, tenant, a_site, b_site, vc_id). Pure and deterministic.
- `render.render(vendor, intent) -> RenderedConfig(vendor, text, shell)` for vendor in junos,
  iosxr, sros, frr, openconfig, ietf (XML for the netconf driver). `RenderedConfig.full_text()` is
  what diffs and journals compare. `render.render_for_router(router, intent)` renders in
  `render.dialect(router)`: the format that follows the router's driver and vendor.
- `safe`: strict patterns (`check_description`, `check_identifier`, `check_port`) and per-vendor
  quoting (`quote(vendor, text)`).
- `diff.config_diff(router, before_text, after_text, context=1) -> str`: the one config diff (plans
  use one line of context, `DeviceChange`s two); `diff.diff_configs(router, vendor, before, after) ->
  DeviceChange(router, vendor, before, after, diff, added, removed)`; `diff.diff_all(before_by_router,
  after_by_router, vendors)`.
- `drivers.base.DeviceDriver` (Protocol: prepare(config), commit(), rollback(), running_config();
  optional verify(expected) and confirm()); `drivers.base.BoundDriver` / `bind_all` adapt a driver
  that takes the router as an argument; `drivers.sim.SimDriver` (latency, fail_on, hang_on,
  state_dir); `drivers.netconf.NetconfDriver` (ncclient, candidate, confirmed commit). The lab's
  driver lives in `unilink.lab.driver` and plugs in through the registry.
- `drivers.registry`: drivers by name — `register_driver(name, factory)`, `driver_for(name)`,
  `drivers_for(routers, changes)` (the configured driver: `UNILINK_DRIVER`, default `sim`),
  `using_driver(name, factory)` (tests, benchmarks). A factory is `(Router, RenderedConfig running)
  -> DeviceDriver`.
- `transaction.commit_changes(changes, drivers, journal, ...) -> TransactionResult`: the one commit
  path (engine, push, drift, lab); `.raise_for_failure()` raises `DeviceCommitError`.
  `transaction.DeviceTransaction(drivers, changes, journal).run()`, its machinery:
  journal first, prepare all in parallel (timeout) → commit all → verify; any failure rolls back
  every touched router. `transaction.recover(store, drivers)` finishes or undoes interrupted
  transactions at start-up. `journal.StoreJournal(store)` keeps the journal in the database
  (tables `device_transactions`, `device_transaction_steps`; SQL in `unilink.store.journal_repo`)
  and the last committed config of every router (`journal.last_committed(store)`).
- `push.plan_changes(store, vendors, after)`, `push.push_configs(store, routers, after, drivers=None)`
  (before = the last committed config; default drivers by `router.driver`, from the registry),
  `push.recover_at_start(store, routers)`: the engine's entry points.
- `drift.detect(store, drivers) -> list[Drift]`, `drift.reconcile(store, drivers, routers)`.

See docs/devices.md.
"""
