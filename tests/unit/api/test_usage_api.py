"""The usage API over the seeded fixture (api_fixtures.seed_usage: acme-office and globex-office, 300M
down committed, 30 Mbit/s down but 288 Mbit/s from 14:00 to 15:00 UTC for the 7 days before TEST_NOW,
2026-12-01 02:30 UTC): figures by hand, tenants isolated, bad input refused naming the field, the
SVG served, and the advice planned in one click as an ordinary plan that applies."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from api_fixtures import Api

M = 10**6


def test_a_week_of_a_site_hourly_with_the_p95_of_its_5_minute_samples(api: Api) -> None:
    answer = api.get("/api/v1/sites/acme-office/usage", "acme-viewer", params={"range": "7d"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["resolution_s"] == 3600 and body["committed"] == {"down_bps": 300 * M, "up_bps": 100 * M}
    # the range ends with the hour under way (03:00) and starts 7 days earlier: 2026-11-24 03:00 UTC
    assert body["start"] == "2026-11-24T03:00:00Z" and body["end"] == "2026-12-01T03:00:00Z"
    down = dict(body["series"]["down"])
    assert down["2026-11-30T14:00:00Z"] == 288 * M and down["2026-11-30T13:00:00Z"] == 30 * M
    # 5-minute samples in the range: 2016 − 36 before 03:00 on the 24th = 1,980, of which 7 × 12 = 84 busy
    # (4.2 %): the ceil(0.95 × 1980) = 1,881st smallest is quiet → 30 Mbit/s
    assert body["p95"] == {"down_bps": 30 * M, "up_bps": 20 * M, "billed_bps": 30 * M, "samples": 1980,
                           "resolution_s": 300}


def test_the_graph_is_an_svg_with_the_committed_line(api: Api) -> None:
    answer = api.get("/api/v1/sites/acme-office/usage.svg", "acme-admin", params={"range": "24h", "tz": "UTC"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(answer.text)
    levels = {(ln.get("class"), ln.get("data-direction")): int(ln.get("data-bps"))
              for ln in root.iter("{http://www.w3.org/2000/svg}line") if ln.get("class") in ("committed", "p95")}
    assert levels == {("committed", "down"): 300 * M, ("committed", "up"): 100 * M, ("p95", None): 30 * M}
    assert "local time (UTC)" in answer.text


def test_another_tenants_site_is_404_and_operators_name_the_tenant(api: Api) -> None:
    refused = api.get("/api/v1/sites/globex-office/usage", "acme-admin")
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
    assert "globex" not in refused.text.replace("globex-office", "")      # nothing of globex's figures
    assert api.get("/api/v1/sites/acme-office/usage", "acme-admin", params={"tenant": "globex"}).status_code == 404
    assert api.get("/api/v1/sites/globex-office/usage", "op-viewer", params={"tenant": "globex"}).status_code == 200
    assert api.get("/api/v1/sites/globex-office/usage", "op-viewer", params={"tenant": "acme"}).status_code == 404
    assert api.get("/api/v1/sites/globex-office/advice", "acme-admin").status_code == 404
    assert api.post("/api/v1/sites/globex-office/advice/plan", "acme-admin").status_code == 404


@pytest.mark.parametrize(("params", "field"), [
    ({"range": "10y"}, "range"),
    ({"start": "2016-12-01T00:00:00Z", "end": "2026-12-01T00:00:00Z", "resolution": "300"}, "resolution"),
    ({"start": "yesterday", "end": "2026-12-01T00:00:00Z"}, "start"),
    ({"start": "2026-11-30T00:00:00Z", "end": "2026-11-30T25:00:00Z"}, "end"),
    ({"tz": "Mars/Olympus"}, "tz"),
])
def test_bad_input_is_a_422_naming_the_field(api: Api, params: dict[str, str], field: str) -> None:
    answer = api.get("/api/v1/sites/acme-office/usage", "acme-viewer", params=params)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field, answer.json()


def test_the_advice_plans_in_one_click_an_ordinary_plan(api: Api) -> None:
    advice = api.get("/api/v1/sites/acme-office/advice", "acme-viewer").json()["advice"]
    # 288 of 300 Mbit/s (96 %) at the busy hour on 7 days of 7: the next rate, down only (up runs at 20 %).
    # The port's one series is the Internet's, above its 100M at the busy hour: its next rate, 200M. The
    # FTTH line's price does not depend on its rate; the Internet's: 12,000 → 16,000 cents (€40.00)
    assert advice["kind"] == "upgrade"
    assert advice["rates"] == {"down": {"committed_bps": 300 * M, "suggested_bps": 500 * M}}
    assert advice["services"] == {"acme-office-internet": {"rate_bps": 100 * M, "suggested_bps": 200 * M}}
    assert advice["monthly_delta_cents"] == 4_000
    assert advice["summary"] == "+200M (down 300M → 500M; acme-office-internet 100M → 200M) for +€40.00/month"
    assert api.post("/api/v1/sites/acme-office/advice/plan", "acme-viewer").status_code == 403   # viewers read
    made = api.post("/api/v1/sites/acme-office/advice/plan", "acme-admin")
    assert made.status_code == 201, made.text
    plan = made.json()
    shown = api.get(f"/api/v1/plans/{plan['id']}", "acme-admin")
    assert shown.status_code == 200 and shown.json()["fingerprint"] == plan["fingerprint"]
    applied = api.post(f"/api/v1/plans/{plan['id']}/apply", "acme-admin", json={"reason": "advice"})
    assert applied.status_code == 200, applied.text
    site = api.get("/api/v1/sites/acme-office", "acme-admin").json()
    assert site["access"]["down"] in ("500M", 500 * M)
