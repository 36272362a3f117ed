"""The application services: one function per use case, called alike by the API, the CLI, the portal and
the scheduler. Each takes the store explicitly (its clock is the time it runs on) and records what the
change tells the world — events, capacity alarms — as outbox rows in the change's own transaction,
delivered after the commit (`unilink.events.outbox_delivery`).

    change_plans.plan_change / revert_to       plan a change; plan a return to an intent version
    plan_applying.apply_plan                   apply a plan: history, events, order events, capacity alarms
    order_moves.move_order / cancel_order      an order's transitions (completing one applies its logical part)
    scheduled_changes.run_due / run_forever    boosts ending, windows opening: applied like any change
    capacity_view.link_utilisation             the booked share per link direction (what alarms compare)
    what_if.fail_elements                      fail links, PoPs or SRLGs on the live ledger, change nothing
    tenant_views.sites / services / orders /   what a tenant has and did, read by the API and the portal
      history / visible_plan / visible_order     alike (each tenant's deployed document cached per revision)
    campaigns.open_campaign / pledge /         cooperative campaigns: zones, pledges, single-use links, the
      confirm_pledge / expire_due / …            exactly-once threshold, refunds, mail (docs/campaigns.md)
    campaign_reach.design_zone                 a reached zone's design and backhaul order, once

Adapters call these and only render the answer; none of them publishes or invalidates by itself
(except their own caches: the API's deployed-document cache).
"""
