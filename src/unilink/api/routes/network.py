"""Operator tools on the live backbone: path queries (CSPF over free capacity) and failure what-if.

Both read the engine's ledger (what is reserved now) and change nothing: the what-if runs as a trial
that the ledger undoes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import Field

from unilink.api.deps import OperatorDep, StoreDep
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.api.schemas import MAX_BPS, Name, Strict
from unilink.engine import runtime as rt
from unilink.network.cspf import find_path
from unilink.network.disjoint import find_disjoint_pair
from unilink.usecases.what_if import fail_elements

router = APIRouter(prefix="/api/v1", tags=["network"], responses=PROBLEM_RESPONSES)

NameList = Annotated[list[Name], Field(default_factory=list, max_length=200)]


class PathQuery(Strict):
    src: Name
    dst: Name
    bps: int = Field(gt=0, le=MAX_BPS, description="bandwidth needed, bit/s")
    metric: Literal["latency", "igp"] = "latency"
    max_latency_ms: float | None = Field(default=None, gt=0, le=10_000)
    max_hops: int | None = Field(default=None, ge=1, le=1000)
    protected: bool = Field(default=False, description="also a link- and SRLG-disjoint backup path (latency and "
                                                       "hop limits apply to unprotected queries only)")
    exclude_nodes: NameList
    exclude_links: Annotated[list[Annotated[str, Field(max_length=200)]], Field(default_factory=list,
                                                                                max_length=200)]
    exclude_srlgs: NameList


class WhatIfQuery(Strict):
    links: Annotated[list[Annotated[str, Field(max_length=200)]], Field(default_factory=list, max_length=200)]
    nodes: NameList
    srlgs: NameList


@router.post("/paths", summary="Operator: the best path with the bandwidth free now (422 names the bottleneck)")
def query_path(body: PathQuery, principal: OperatorDep, store: StoreDep) -> dict[str, Any]:
    with rt.LOCK, store.session() as session:
        runtime = rt.runtime_for(store, session)
        common: dict[str, Any] = {"metric": body.metric, "exclude_nodes": body.exclude_nodes,
                                  "exclude_links": body.exclude_links, "exclude_srlgs": body.exclude_srlgs}
        if body.protected:
            pair = find_disjoint_pair(runtime.graph, runtime.ledger, body.src, body.dst, body.bps, **common)
            return {"primary": pair.primary.to_dict(), "secondary": pair.secondary.to_dict(), "method": pair.method}
        path = find_path(runtime.graph, runtime.ledger, body.src, body.dst, body.bps,
                         max_latency_ms=body.max_latency_ms, max_hops=body.max_hops, **common)
        return {"primary": path.to_dict()}


@router.post("/whatif", summary="Operator: fail links, PoPs or SRLGs and see what is re-routed and what is lost")
def what_if(body: WhatIfQuery, principal: OperatorDep, store: StoreDep) -> dict[str, Any]:
    return fail_elements(store, links=body.links, nodes=body.nodes, srlgs=body.srlgs)
