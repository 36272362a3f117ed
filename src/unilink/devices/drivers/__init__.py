"""Device drivers: one small interface (`base.DeviceDriver`), several ways to reach a router.

`sim` (in memory / a state file, with latency and fault injection), `netconf` (ncclient, candidate
datastore, confirmed commit), `lab` (real FRR routers in namespaces; LAB engineer).
"""
