"""A small campaign the campaign tests open for themselves (two real communes, targets they control),
residents with distinctive names, e-mails and addresses (the privacy tests scrape pages for them),
and the confirmation link read from the mail outbox."""

from __future__ import annotations

import re
from typing import Any

CAMPAIGN = "test-villages"
THOIRY = (48.8672, 1.7969)  # the centres of the communes' zones (unilink/coop/data/communes.yaml)
AUTOUILLET = (48.8450, 1.8100)
OUTSIDE = (45.76, 4.84)  # Lyon: in no zone
LINK = re.compile(r"/c/(?P<campaign>[a-z0-9-]+)/(?P<action>confirm|withdraw)\?token=(?P<token>[A-Za-z0-9_-]+)")


def campaign_spec(name: str = CAMPAIGN, *, thoiry_target: int = 60, autouillet_target: int = 40) -> dict[str, Any]:
    return {"name": name, "title": "Fibre for Thoiry and Autouillet", "deadline": "2027-03-01T18:00:00Z",
            "plans": [{"name": "fibre-300", "down_bps": 300_000_000, "up_bps": 300_000_000, "monthly_cents": 2990},
                      {"name": "fibre-1g", "down_bps": 1_000_000_000, "up_bps": 500_000_000, "monthly_cents": 3990}],
            "zones": [{"name": "thoiry", "commune": "Thoiry", "target": {"subscribers": thoiry_target},
                       "build_cost_cents": 5_000_000},
                      {"name": "autouillet", "commune": "Autouillet", "target": {"subscribers": autouillet_target}}]}


def resident(i: int, where: tuple[float, float] = THOIRY, **extra: Any) -> dict[str, Any]:
    """The i-th resident: every name, e-mail and address holds a marker no page text has by chance."""
    return {"name": f"Ysolde Quenneville{i}", "email": f"ysolde.quenneville{i}@example.org",
            "address": f"{i} rue des Quenouillettes", "lat": where[0] + i * 1e-5, "lon": where[1], "plan": "fibre-300",
            **extra}


def link_for(mails: list[dict[str, Any]], email: str, action: str = "confirm") -> str:
    """The path of the newest `action` link sent to `email` (the mail outbox's rows, newest first)."""
    for mail in mails:
        if mail["to"] == email:
            for found in LINK.finditer(mail["body"]):
                if found["action"] == action:
                    return found.group(0)
    raise AssertionError(f"no {action} link mailed to {email}")


def token_of(link: str) -> str:
    found = LINK.search(link)
    assert found is not None, link
    return found["token"]
