"""`GET /metrics/usage`: the measured per-site and per-link figures for an operator's Prometheus, and
the usage collector this server runs in a background thread (`UNILINK_USAGE_INTERVAL`).

Operators only, like every operator endpoint: Prometheus sends an operator-viewer token as a bearer
token (`authorization: {credentials_file: …}` in its scrape config; docs/usage.md). The figures carry
a `tenant` label, and `?tenant=NAME` limits them to one tenant's.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from unilink.api.deps import OperatorDep, StoreDep
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.api.schemas import Name
from unilink.store import usage_samples_repo
from unilink.store.locks import leader
from unilink.usage import metrics
from unilink.usage.alarms import watch_from_env
from unilink.usage.poller import INTERVAL_ENV, Poller, configured_source, parse_interval, reader_for, run_forever

router = APIRouter(tags=["usage"], responses=PROBLEM_RESPONSES)
log = logging.getLogger(__name__)
COLLECTOR_LOCK = "usage-collector"


@router.get("/metrics/usage", summary="Operator: measured traffic per site and link (OpenMetrics)",
            response_class=Response,
            responses={200: {"content": {"application/openmetrics-text": {}, "text/plain": {}}}})
def usage_metrics(request: Request, principal: OperatorDep, store: StoreDep,
                  tenant: Annotated[Name | None, Query(description="only this tenant's figures")] = None
                  ) -> Response:
    with store.session() as session:
        series = usage_samples_repo.series_totals(session, tenant)
    body, content_type = metrics.exposition(series, request.headers.get("accept", ""))
    return Response(body, media_type=content_type)


class CollectorThread:
    """The usage poll loop in a daemon thread (the counters of the configured driver's routers)."""

    def __init__(self, store: Any, interval_s: float, source: str | None = None) -> None:
        self.store = store
        self.interval_s = interval_s
        self.source = source or configured_source()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="unilink-usage", daemon=True)

    def _run(self) -> None:
        try:
            reader, routers = reader_for(self.store, self.source)
        except Exception:  # the server runs on without measured traffic; the log says why
            log.exception("usage: no collector (counter source %r)", self.source)
            return
        poller = Poller(self.store, reader, routers, interval_s=self.interval_s,
                        after_cycle=watch_from_env(self.store))
        # One collector across all workers and machines (`serve --workers`): two would each write the
        # same interval's samples. The others wait and take over when the collecting one goes (its
        # lock dies with its connection); the counter baselines are in the database, so no jump.
        while not self.stop_event.is_set():
            with leader(self.store, COLLECTOR_LOCK) as leading:
                if leading:
                    run_forever(poller, self.stop_event)
                    return
            self.stop_event.wait(self.interval_s)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout_s)


def collector_from_env(store: Any) -> CollectorThread | None:
    """A collector when `UNILINK_USAGE_INTERVAL` is set to seconds > 0 (unset or "0": none)."""
    value = os.environ.get(INTERVAL_ENV, "").strip()
    if value in ("", "0"):
        return None
    return CollectorThread(store, parse_interval(value))
