"""Capacity alarms: raised once when a link direction crosses the threshold upwards."""

from __future__ import annotations

from api_fixtures import Api

from unilink.events.alarms import crossings


def test_crossing_is_reported_once() -> None:
    before = {("L1", "ab"): 0.5, ("L1", "ba"): 0.85, ("L2", "ab"): 0.1}
    after = {("L1", "ab"): 0.9, ("L1", "ba"): 0.95, ("L2", "ab"): 0.79}
    alarms = crossings(before, after, threshold=0.8)
    assert alarms == [{"link": "L1", "direction": "ab", "utilisation": 0.9, "before": 0.5, "threshold": 0.8}]
    assert crossings(after, after) == []  # already above: no new alarm


def _eline(rate: str) -> dict[str, object]:
    access = {"technology": "fibre", "provider": "on-net", "port": "100G", "down": "95G", "up": "95G"}
    return {"sites": [{"name": "par-dc", "pop": "Paris", "access": access},
                      {"name": "lon-dc", "pop": "London", "access": access}],
            "services": [{"kind": "eline", "name": "par-lon", "a": "par-dc", "b": "lon-dc", "rate": rate}]}


def test_an_apply_that_loads_a_link_past_80_percent_raises_an_operator_alarm(api: Api) -> None:
    small = api.post("/api/v1/plans", "op-admin", json=_eline("10G"), params={"tenant": "acme", "installed": "true"})
    assert small.status_code == 201, small.text
    assert api.post(f"/api/v1/plans/{small.json()['id']}/apply", "op-admin",
                    json={"confirm_removals": True}).status_code == 200  # replaces the fixture's services
    assert [e for e in api.get("/api/v1/events", "op-viewer").json() if e["type"] == "capacity.alarm"] == []
    big = api.post("/api/v1/plans", "op-admin", json=_eline("90G"), params={"tenant": "acme", "installed": "true"})
    assert big.status_code == 201, big.text
    assert api.post(f"/api/v1/plans/{big.json()['id']}/apply", "op-admin",
                    json={"confirm_removals": True}).status_code == 200  # replaces the fixture's services
    alarms = [e for e in api.get("/api/v1/events", "op-viewer").json() if e["type"] == "capacity.alarm"]
    assert {a["data"]["link"] for a in alarms} == {"Paris-London"}
    assert all(a["tenant"] is None and a["data"]["utilisation"] >= 0.8 for a in alarms)
    # the tenant does not see the operator's backbone alarms
    assert all(e["type"] != "capacity.alarm" for e in api.get("/api/v1/events", "acme-viewer").json())
