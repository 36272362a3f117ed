"""Stage 4, price: monthly now → after the apply → after the pending field work; one-off and temporary
charges (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from unilink.catalog.prices import Quote
from unilink.engine.pricing import PlanPrice, plan_price, quote_intent, temporary_cents
from unilink.engine.stages.diffing import IntentDiff
from unilink.engine.stages.snapshot import PlanSnapshot
from unilink.engine.stages.validate import ValidIntent


@dataclass(frozen=True, slots=True)
class Priced:
    price: PlanPrice
    effective_quote: Quote  # the monthly price of what the apply deploys (the next plan's "now")


def price(snapshot: PlanSnapshot, valid: ValidIntent, diff: IntentDiff) -> Priced:
    pops = snapshot.pops
    desired_quote = quote_intent(valid.intent, pops)
    effective_quote = desired_quote if diff.effective is valid.intent else quote_intent(diff.effective, pops)
    priced = plan_price(snapshot.deployed.quote(pops), effective_quote, desired_quote,
                        [w.to_dict() for w in diff.new_orders], temporary_cents(diff.effective, pops, snapshot.now))
    return Priced(priced, effective_quote)
