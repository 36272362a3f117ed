"""The engine keeps its long-lived state out of the collector's full passes (gc.freeze), and still
lets an old runtime's cycles be collected (gc.unfreeze on reload, and every UNFREEZE_EVERY calls)."""

from __future__ import annotations

import gc
import weakref

import pytest

from unilink.engine import runtime as rt


@pytest.fixture(autouse=True)
def _thawed() -> None:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_an_engine_operation_freezes_what_exists_and_collects_young_garbage_first() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a reference cycle: only the collector frees it

    survivor = [Node() for _ in range(1000)]
    garbage = Node()
    dead = weakref.ref(garbage)
    del garbage
    rt.keep_long_lived()
    assert dead() is None  # young cyclic garbage collected, not frozen
    assert gc.get_freeze_count() >= len(survivor)  # the live state moved out of sight of full collections


def test_every_unfreeze_every_operations_the_frozen_state_is_given_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt, "UNFREEZE_EVERY", 3)
    monkeypatch.setattr(rt, "_operations", 0)
    rt.keep_long_lived()
    assert gc.get_freeze_count() > 0
    rt.keep_long_lived()
    rt.keep_long_lived()  # the third: unfreezes, so that cycles that died frozen can be collected
    assert gc.get_freeze_count() == 0
