"""Measured traffic (issue 14): counters from the devices become rates and lasting time series.

- `collector`: counter readings → deltas (wraps, resets and missed polls handled and flagged); pure.
- `buckets`: deltas → 5-minute, hourly and daily samples that keep every octet and the peaks; pure.
- `queries`: reading samples back, with the checks a caller's range must pass; `metrics`: the
  OpenMetrics exposition of the per-site and per-link figures.
- `catalogue`: what the simulated routers' interfaces carry (engine runtime); `poller`: the loop.

See docs/usage.md.
"""
