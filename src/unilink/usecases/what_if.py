"""Failure what-if on the live backbone: fail links, PoPs or SRLGs and see what is re-routed and what is
lost. Runs as a trial that the ledger undoes: nothing changes, nothing is recorded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from unilink.engine import runtime as rt
from unilink.network.whatif import fail


def fail_elements(store: Any, *, links: Sequence[str] = (), nodes: Sequence[str] = (),
                  srlgs: Sequence[str] = ()) -> dict[str, Any]:
    with rt.LOCK, store.session() as session:
        runtime = rt.runtime_for(store, session)
        return fail(runtime.graph, runtime.ledger, links=links, nodes=nodes, srlgs=srlgs).to_dict()
