"""Upgrade modules and what they cost: the price assumptions of the upgrade plan.

A link is raised to `count × module` (a LAG of identical members, up to `MAX_MEMBERS`). The cost of
a member is one-off capital expenditure in EUR:

    member cost = 2 × port_eur (an interface and its optics at each end)
                + per_km_eur × length_km × distance-class factor (the wavelength on the line system)

Distance classes (why): up to 80 km grey/coherent pluggables run over dark fibre with no line
system (factor 0: ports only); 80–600 km need a wavelength on an amplified DWDM system (factor 1);
beyond 600 km a wave needs regeneration or premium long-haul optics (factor 1.5).

The figures are *illustrative orders of magnitude* for planning comparisons — what matters is that
faster modules are cheaper per bit/s and long links cost more — not a price list. They are ours,
not quoted from any vendor; change them here (or pass your own `modules`) for a real budget.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_MEMBERS = 16


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    rate_bps: int
    port_eur: float     # one interface + optics, at one end
    per_km_eur: float   # wavelength on the line system, per km of route


DEFAULT_MODULES: tuple[Module, ...] = (
    Module("10G", 10 * 10**9, port_eur=1_500, per_km_eur=6.0),
    Module("40G", 40 * 10**9, port_eur=5_000, per_km_eur=14.0),
    Module("100G", 100 * 10**9, port_eur=8_000, per_km_eur=18.0),
    Module("400G", 400 * 10**9, port_eur=25_000, per_km_eur=40.0),
)

DISTANCE_CLASSES: tuple[tuple[float, str, float], ...] = (
    # (up to km, class name, factor on per_km_eur)
    (80.0, "metro", 0.0),
    (600.0, "regional", 1.0),
    (float("inf"), "long-haul", 1.5),
)


def distance_class(length_km: float) -> tuple[str, float]:
    for limit, name, factor in DISTANCE_CLASSES:
        if length_km <= limit:
            return name, factor
    raise AssertionError("the last class has no limit")  # pragma: no cover


def member_cost_eur(module: Module, length_km: float) -> float:
    _, factor = distance_class(length_km)
    return 2 * module.port_eur + module.per_km_eur * length_km * factor


@dataclass(frozen=True, slots=True)
class UpgradeOption:
    module: Module
    count: int
    cost_eur: float

    @property
    def capacity_bps(self) -> int:
        return self.module.rate_bps * self.count

    @property
    def label(self) -> str:
        return self.module.name if self.count == 1 else f"{self.count}×{self.module.name}"


def cheapest_option(required_bps: float, length_km: float,
                    modules: tuple[Module, ...] = DEFAULT_MODULES) -> UpgradeOption | None:
    """The cheapest `count × module` whose capacity is at least `required_bps` (None: beyond any LAG)."""
    best: UpgradeOption | None = None
    for module in modules:
        count = max(1, -(-int(required_bps) // module.rate_bps))  # ceiling division
        if module.rate_bps * count < required_bps:  # float requirement above the integer ceiling
            count += 1
        if count > MAX_MEMBERS:
            continue
        option = UpgradeOption(module, count, count * member_cost_eur(module, length_km))
        # Ties: prefer fewer members (less to operate), then the faster module.
        if best is None or (option.cost_eur, option.count) < (best.cost_eur, best.count):
            best = option
    return best
