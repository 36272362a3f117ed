"""One vocabulary for order states: open and closed partition them, transitions stay inside."""

from unilink.services.order_states import ALL_STATES, CLOSED_STATES, OPEN_STATES, TRANSITIONS, OrderState, is_open


def test_open_and_closed_partition_every_state() -> None:
    assert set(OrderState) == OPEN_STATES | CLOSED_STATES
    assert not OPEN_STATES & CLOSED_STATES
    assert {s.value for s in CLOSED_STATES} == {"completed", "failed", "cancelled"}
    assert ALL_STATES[0] == "acknowledged"


def test_only_open_states_move_and_every_move_lands_on_a_known_state() -> None:
    assert set(TRANSITIONS) == OPEN_STATES
    for targets in TRANSITIONS.values():
        assert set(targets) <= set(OrderState)
    assert is_open("inProgress") and not is_open("completed")
