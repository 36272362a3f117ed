"""The engine's rows moved to `unilink.store.change_repo` (behind `engine.ports.ChangeStore`); the
order states are named here until the one order-state vocabulary replaces them."""

OPEN_ORDER_STATES = ("completed", "failed", "cancelled")  # the states an order ends in
