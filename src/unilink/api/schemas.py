"""Request and response bodies shared by several routes (pydantic v2).

Request bodies forbid unknown fields: a typo (`rate_dwon`) is an error naming the field, never
silently ignored. Bandwidths are int bit/s (`*_bps`); strings such as "10G" are accepted on input
where noted and parsed by `unilink.units`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# the login body lives with the login (access.login: the portal shares it); re-exported for the routes
from unilink.access.login import LoginRequest as LoginRequest
from unilink.inventory.model import NAME_RE

Name = Annotated[str, StringConstraints(pattern=NAME_RE.pattern, max_length=64)]
MAX_BPS = 10**15  # 1 Pbit/s: far above any port; larger numbers are typos or attacks


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # false is not 0, "5" is not 5


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "unreachable"] | None = None


class Whoami(BaseModel):
    subject: str
    role: str
    tenant: str | None


class TokenCreate(Strict):
    role: Literal["operator-admin", "operator-viewer", "tenant-admin", "tenant-viewer", "coop-manager"]
    tenant: Name | None = None
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,99}$")] = "api"


class TokenOut(BaseModel):
    id: int
    prefix: str
    name: str
    role: str
    tenant: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself: shown this once, stored only as a hash")


class TenantOut(BaseModel):
    name: str
    kind: str
    display_name: str
    created_at: datetime


class TenantCreate(Strict):
    name: Name
    kind: Literal["enterprise", "operator", "cooperative"]
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class UserCreate(Strict):
    username: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$")]
    password: Annotated[str, StringConstraints(min_length=12, max_length=256)] | None = None
    role: Literal["operator-admin", "operator-viewer", "tenant-admin", "tenant-viewer", "coop-manager"]
    tenant: Name | None = None
    display_name: Annotated[str, StringConstraints(max_length=200)] = ""


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    tenant: str | None
    disabled: bool
    created_at: datetime


class AuditOut(BaseModel):
    id: int
    at: datetime
    subject: str
    role: str
    tenant: str | None
    method: str
    path: str
    action: str
    status: int
    client: str


class PopIn(Strict):
    city: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    country: Annotated[str, StringConstraints(pattern=r"^([A-Z]{2})?$")] = ""
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class PopOut(BaseModel):
    name: str
    city: str
    country: str
    lat: float
    lon: float


class RouterIn(Strict):
    pop: Name
    role: Literal["core", "edge"]
    vendor: Literal["junos", "iosxr", "sros", "frr", "openconfig"]
    loopback: Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}$")]
    driver: Literal["sim", "lab", "netconf"] = "sim"


class RouterOut(BaseModel):
    name: str
    pop: str
    role: str
    vendor: str
    loopback: str
    driver: str


class LinkIn(Strict):
    a: Name
    b: Name
    capacity_bps: int = Field(gt=0, le=MAX_BPS)
    length_km: float | None = Field(default=None, ge=0, le=40_000)
    igp_metric: int | None = Field(default=None, ge=1, le=16_777_215)
    srlgs: list[Name] = Field(default_factory=list, max_length=32)
    a_router: Name | None = None
    b_router: Name | None = None


class LinkOut(BaseModel):
    name: str
    a: str
    b: str
    capacity_bps: int
    length_km: float
    latency_ms: float
    igp_metric: int
    srlgs: list[str]
    a_router: str | None
    b_router: str | None


class InterconnectIn(Strict):
    kind: Literal["local_loop", "public_backbone", "transit", "peering"]
    pop: Name
    partner: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    capacity_bps: int = Field(gt=0, le=MAX_BPS)
    area: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = Field(default_factory=list,
                                                                                       max_length=200)


class InterconnectOut(BaseModel):
    name: str
    kind: str
    pop: str
    partner: str
    capacity_bps: int
    area: list[str]


class EventOut(BaseModel):
    id: int
    type: str
    tenant: str | None
    at: datetime
    data: dict[str, Any]


class WebhookCreate(Strict):
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,1990}$", max_length=2000)]
    secret: Annotated[str, StringConstraints(min_length=16, max_length=200)]
    event_types: list[str] = Field(default_factory=list, max_length=32)


class WebhookOut(BaseModel):
    id: int
    tenant: str | None
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    status: int | None = Field(description="HTTP status; null when no answer came (refused, timeout, policy)")
    error: str | None
    duration_ms: float


class DeliveryOut(BaseModel):
    id: int
    event_id: int
    event_type: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    log: list[AttemptOut] = Field(default_factory=list, description="Every attempt, first to last")
