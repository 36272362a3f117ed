"""The communes a cooperative campaign or a connection design can name (a small gazetteer, pure).

The data is `data/communes.yaml` (real communes, approximate centres, estimated homes passed with
their source). A name is matched without regard to case, accents or hyphens, the way residents and
town halls write it ("Villiers le Mahieu", "villiers-le-mahieu", "GOUPILLIERES").
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from unilink.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Commune:
    name: str
    department: str
    lat: float
    lon: float
    homes_passed: int
    homes_source: str
    radius_km: float


def fold(name: str) -> str:
    """`name` without case, accents, hyphens or repeated spaces: the key communes are matched on."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(plain.replace("-", " ").replace("'", " ").lower().split())


@cache
def _by_key() -> dict[str, Commune]:
    text = resources.files("unilink.coop").joinpath("data/communes.yaml").read_text(encoding="utf-8")
    rows = yaml.safe_load(text)["communes"]
    return {fold(row["name"]): Commune(**row) for row in rows}


def all_communes() -> list[Commune]:
    return sorted(_by_key().values(), key=lambda c: c.name)


def commune(name: str, *, field: str = "commune") -> Commune:
    """The commune called `name`; an unknown name is a ValidationError listing the known ones."""
    found = _by_key().get(fold(name))
    if found is None:
        raise ValidationError("unknown commune", field=field, value=name,
                              accepted=", ".join(c.name for c in all_communes()))
    return found
