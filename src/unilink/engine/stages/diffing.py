"""Stage 2, diff: per site and service, add / modify / delete / noChange — and what waits for field work (pure).

A site whose physical line must change waits for its order: the *effective* intent keeps it as
deployed (engine.fieldwork), so the diff is deployed → effective, and effective → desired is what
lands once the orders complete (`pending`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unilink.engine.fieldwork import FieldWork, effective_intent, field_work, orphaned_orders, physical_of
from unilink.engine.removals import Removal, live_removals, rename_hints
from unilink.engine.stages.snapshot import PlanSnapshot
from unilink.engine.stages.validate import ValidIntent
from unilink.services.intent import Intent, check_intent
from unilink.services.intent_diff import Action, ChangeSet, diff_documents, show_value


@dataclass(frozen=True, slots=True)
class IntentDiff:
    effective: Intent                        # what the apply deploys (desired, less what waits for field work)
    effective_document: dict[str, Any]
    changes: ChangeSet                       # deployed → effective
    summary: tuple[str, ...]                 # one line per changed item, for people
    pending: ChangeSet | None                # effective → desired, while field work is pending
    works: tuple[FieldWork, ...]             # every field work the desired intent needs
    new_orders: tuple[FieldWork, ...]        # ... that no open order covers yet
    cancel_orders: tuple[dict[str, str], ...]  # open orders the desired intent no longer needs
    physical: dict[str, dict[str, Any]]      # site → the lines installed once applied
    removals: tuple[Removal, ...]            # live sites, services and VPN members taken away
    rename_hints: tuple[str, ...]
    new_intent_version: bool                 # the desired document differs from the last intent version

    @property
    def waits(self) -> bool:
        """Whether part of the desired intent waits for field work."""
        return self.pending is not None


def diff(snapshot: PlanSnapshot, valid: ValidIntent) -> IntentDiff:
    desired, deployed = valid.intent, snapshot.deployed
    works = [] if snapshot.accesses_installed else field_work(desired, dict(deployed.physical))
    waiting = {w.site for w in works}
    effective = effective_intent(desired, deployed.intent, waiting)
    if effective is not desired:  # a mix of desired and deployed parts: check the mix too
        check_intent(effective, snapshot.network)
    effective_doc = valid.document if effective is desired else effective.to_document()
    changes = diff_documents(dict(deployed.document or {}), effective_doc)
    desired_sites = {s.name for s in desired.sites}
    physical = {name: dict(spec) for name, spec in deployed.physical.items() if name in desired_sites}
    for site in effective.sites:
        if site.name not in waiting:
            physical[site.name] = physical_of(site)
    return IntentDiff(
        effective=effective, effective_document=effective_doc, changes=changes, summary=tuple(summary_of(changes)),
        pending=None if effective is desired else diff_documents(effective_doc, valid.document),
        works=tuple(works), new_orders=tuple(w for w in works if w.site not in snapshot.open_orders),
        cancel_orders=tuple(orphaned_orders(dict(snapshot.open_orders), desired, dict(deployed.physical))),
        physical=physical, removals=tuple(live_removals(deployed.intent, desired)),
        rename_hints=tuple(rename_hints(deployed.intent, desired)),
        new_intent_version=valid.document != deployed.desired)


def summary_of(changes: ChangeSet) -> list[str]:
    lines = []
    for change in changes.changed():
        parts = [f"{field} {show_value(b)} → {show_value(a)}" for field, (b, a) in change.changes.items()]
        detail = ": " + ", ".join(parts) if change.action is Action.MODIFY else ""
        lines.append(f"{change.action.value} {change.kind} {change.name}{detail}")
    return lines

