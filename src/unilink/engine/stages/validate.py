"""Stage 1, validate: types, units, references and times of the desired intent (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unilink.engine.stages.snapshot import PlanSnapshot
from unilink.services.intent import Intent, check_boost_times, check_intent


@dataclass(frozen=True, slots=True)
class ValidIntent:
    intent: Intent
    document: dict[str, Any]  # intent.to_document(), computed once for the diff and the plan


def validate(snapshot: PlanSnapshot, desired: Intent) -> ValidIntent:
    """`desired`, checked against the network and the clock; ValidationError naming the field otherwise.

    A boost kept from the deployed intent may have ended meanwhile: it is not refused for that.
    """
    check_intent(desired, snapshot.network)
    deployed = snapshot.deployed.intent
    check_boost_times(desired, snapshot.now, kept=deployed.boosts if deployed else ())
    return ValidIntent(desired, desired.to_document())
