"""Stage 1, validate: types, units, references and times of the desired intent (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unilink.engine.stages.snapshot import PlanSnapshot
from unilink.errors import ValidationError
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
    _check_lines(snapshot, desired)
    deployed = snapshot.deployed.intent
    check_boost_times(desired, snapshot.now, kept=deployed.boosts if deployed else ())
    return ValidIntent(desired, desired.to_document())


def _check_lines(snapshot: PlanSnapshot, desired: Intent) -> None:
    """A `subscribers` entry names one of the tenant's own lines, exactly (its router and port): the
    operator gave the cooperative those ports, and no document may configure any other port."""
    for i, sub in enumerate(desired.subscribers or ()):
        if (sub.line, sub.router, sub.port) not in snapshot.member_lines:
            known = ", ".join(f"{line} ({router} {port})" for line, router, port in sorted(snapshot.member_lines))
            raise ValidationError("not a line of this cooperative on that router and port",
                                  field=f"subscribers[{i}].line", value=sub.line,
                                  accepted=known or "none: only a cooperative's lines (docs/members.md)")
