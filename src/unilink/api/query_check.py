"""A query parameter the route does not take is refused (422 naming it, with a did-you-mean), instead of
being silently ignored: `/api/v1/orders?state=open` used to answer every order, as if filtered.

Applied to every route of the app (a dependency of the app itself) but only under /api/: the portal's
and the public pages' links may carry a tracker's parameters, and the TM Forum APIs filter on any
attribute by design.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant

from unilink.errors import ValidationError, did_you_mean

CHECKED_PREFIX = "/api/"
_ACCEPTED = "_unilink_accepted_query"  # kept on the route itself: computed once, gone with its app


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def accepted_query(route: object) -> frozenset[str]:
    """The query parameters a route takes (its own and its dependencies'), computed once per route."""
    accepted = getattr(route, _ACCEPTED, None)
    if accepted is None:
        dependant = getattr(route, "dependant", None)
        accepted = frozenset(_query_names(dependant)) if dependant is not None else frozenset()
        setattr(route, _ACCEPTED, accepted)
    return accepted


def reject_unknown_query(request: Request) -> None:
    if not request.url.path.startswith(CHECKED_PREFIX) or not request.query_params:
        return
    accepted = accepted_query(request.scope.get("route"))
    for name in request.query_params:
        if name not in accepted:
            raise ValidationError(f"unknown query parameter{did_you_mean(name, accepted)}", field=name,
                                  value=request.query_params[name][:100],
                                  accepted=", ".join(sorted(accepted)) or "no query parameter on this route")
