"""Pagination of the list endpoints: `limit` and `offset`, and how many there are in the headers
(`X-Total-Count`: all that match; `X-Result-Count`: in this answer — the TM Forum APIs' names, so one
client reads both APIs the same way). Bodies stay plain JSON lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Response

MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    limit: int | None
    offset: int

    @property
    def whole(self) -> bool:
        return self.limit is None and self.offset == 0


def page_params(limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="at most this many items")] = None,
                offset: Annotated[int, Query(ge=0, le=10_000_000, description="skip this many items first")] = 0
                ) -> Page:
    return Page(limit=limit, offset=offset)


PageDep = Annotated[Page, Depends(page_params)]


def page_of(items: list[Any], page: Page) -> list[Any]:
    end = None if page.limit is None else page.offset + page.limit
    return items[page.offset:end]


def paged(response: Response, items: list[Any], page: Page) -> list[Any]:
    """The page of `items` asked for, with the counts set on `response`."""
    chosen = page_of(items, page)
    count_headers(response, total=len(items), returned=len(chosen))
    return chosen


def count_headers(response: Response, *, total: int, returned: int) -> None:
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Result-Count"] = str(returned)


Filter = Annotated[str | None, Query(max_length=100, description="only the items with this value")]


def matching(items: list[dict[str, Any]], **wanted: str | None) -> list[dict[str, Any]]:
    """The items whose field equals each filter given (filters left at None keep everything)."""
    given = {key: value for key, value in wanted.items() if value is not None}
    return [item for item in items if all(str(item.get(key)) == value for key, value in given.items())]
