"""Device drivers: one small interface (`base.DeviceDriver`), several ways to reach a router.

`sim` (in memory / a state file, with latency and fault injection), `netconf` (ncclient, candidate
datastore, confirmed commit). Chosen by name from `registry` (`register_driver`, `driver_for`);
other packages plug theirs in — `lab` (real FRR routers in namespaces) is registered by
`unilink.lab` when it is loaded.
"""
