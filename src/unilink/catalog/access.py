"""Access technologies: what a line can physically carry, and how long it takes to build one.

Figures are the usual commercial ceilings in Europe (ITU-T G.992.5 for ADSL2+, G.991.2 for
SDSL/SHDSL bonded pairs, G.993.2 profile 17a for VDSL2, GPON/XGS-PON for FTTH) rounded to what
operators sell. Lead times are typical European B2B delivery figures for planning, not promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from unilink.errors import ValidationError
from unilink.units import format_bandwidth

M = 10**6
G = 10**9


class Technology(StrEnum):
    ADSL2PLUS = "adsl2+"
    SDSL = "sdsl"
    VDSL2 = "vdsl2"
    FTTH = "ftth"
    FIBRE = "fibre"  # leased dark/lit fibre on an Ethernet port
    LTE = "4g"
    NR = "5g"
    PUBLIC_BACKBONE = "public-backbone"  # hand-off from a departmental public network (DSP)


@dataclass(frozen=True, slots=True)
class AccessTechnology:
    """One access technology: its physical ceilings and the ports it is sold on."""

    technology: Technology
    description: str
    max_down_bps: int
    max_up_bps: int
    symmetric: bool  # the committed down and up rates must be equal
    port_speeds_bps: tuple[int, ...]  # the physical port speeds this technology is delivered on
    lead_time_days: int  # a new line of this technology, from order to service
    backup_only: bool = False  # radio: sold as a backup of a wired access, not alone

    def ceiling_text(self) -> str:
        return f"down ≤ {format_bandwidth(self.max_down_bps)}, up ≤ {format_bandwidth(self.max_up_bps)}"


TECHNOLOGIES: dict[Technology, AccessTechnology] = {
    t.technology: t
    for t in (
        AccessTechnology(Technology.ADSL2PLUS, "ADSL2+ on a copper pair", 20 * M, 1 * M, False, (20 * M,), 10),
        AccessTechnology(Technology.SDSL, "SDSL/SHDSL on bonded pairs", 20 * M, 20 * M, True, (20 * M,), 15),
        AccessTechnology(Technology.VDSL2, "VDSL2 17a from the street cabinet", 100 * M, 40 * M, False,
                         (100 * M,), 10),
        AccessTechnology(Technology.FTTH, "FTTH (GPON/XGS-PON), shared fibre", 1 * G, 1 * G, False, (1 * G,), 21),
        AccessTechnology(Technology.FIBRE, "leased fibre on a dedicated Ethernet port", 100 * G, 100 * G, True,
                         (1 * G, 10 * G, 100 * G), 45),
        AccessTechnology(Technology.LTE, "4G router (backup)", 150 * M, 50 * M, False, (150 * M,), 3, True),
        AccessTechnology(Technology.NR, "5G router (backup)", 1 * G, 200 * M, False, (1 * G,), 3, True),
        AccessTechnology(Technology.PUBLIC_BACKBONE, "hand-off from a public departmental backbone", 10 * G,
                         10 * G, True, (1 * G, 10 * G), 30),
    )
}

TECHNOLOGY_ACCEPTED = ", ".join(t.value for t in Technology)

# Aliases people type; normalised at the edge so that the core only sees `Technology` values.
_ALIASES = {"adsl": Technology.ADSL2PLUS, "adsl2plus": Technology.ADSL2PLUS, "shdsl": Technology.SDSL,
            "vdsl": Technology.VDSL2, "leased-fibre": Technology.FIBRE, "leased_fibre": Technology.FIBRE,
            "fiber": Technology.FIBRE, "lte": Technology.LTE, "nr": Technology.NR,
            "public_backbone": Technology.PUBLIC_BACKBONE, "dsp": Technology.PUBLIC_BACKBONE}


def parse_technology(value: object, *, field: str = "technology") -> Technology:
    text = str(value).strip().lower() if isinstance(value, str) else value
    if isinstance(text, str):
        if text in _ALIASES:
            return _ALIASES[text]
        try:
            return Technology(text)
        except ValueError:
            pass
    raise ValidationError("unknown access technology", field=field, value=value, accepted=TECHNOLOGY_ACCEPTED)


def technology(value: Technology | str) -> AccessTechnology:
    return TECHNOLOGIES[parse_technology(value)]


def check_access_rates(tech: Technology, port_bps: int, down_bps: int, up_bps: int, *, field: str) -> None:
    """Raise when committed rates do not fit the technology or the port (field names the culprit)."""
    spec = TECHNOLOGIES[tech]
    if port_bps not in spec.port_speeds_bps:
        raise ValidationError(f"{tech.value} is not delivered on that port", field=f"{field}.port",
                              value=format_bandwidth(port_bps),
                              accepted=", ".join(format_bandwidth(p) for p in spec.port_speeds_bps))
    for name, rate, ceiling in (("down", down_bps, spec.max_down_bps), ("up", up_bps, spec.max_up_bps)):
        if rate > ceiling:
            raise ValidationError(f"over the {tech.value} ceiling", field=f"{field}.{name}",
                                  value=format_bandwidth(rate), accepted=f"{name} ≤ {format_bandwidth(ceiling)}")
        if rate > port_bps:
            raise ValidationError("over the port speed", field=f"{field}.{name}", value=format_bandwidth(rate),
                                  accepted=f"{name} ≤ port {format_bandwidth(port_bps)}")
    if spec.symmetric and down_bps != up_bps:
        raise ValidationError(f"{tech.value} is symmetric: down and up must be equal", field=f"{field}.up",
                              value=format_bandwidth(up_bps), accepted=f"up = down = {format_bandwidth(down_bps)}")
