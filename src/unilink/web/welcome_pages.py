"""The first start's sign-in link (`unilink serve` prints it: `access/first_start.py`).

GET shows a button and changes nothing — a chat client or a mail scanner that previews the link must
not spend it; the button's POST spends the code and opens the operator administrator's session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from unilink.access import first_start
from unilink.errors import UnilinkError
from unilink.web import views
from unilink.web.portal import PREFIX, _form, _page, _store
from unilink.web.session import set_session

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/welcome")
def welcome_page(request: Request, code: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    return _page(request, "welcome.html", {"code": code, "error": None})


@router.post("/welcome")
async def welcome(request: Request) -> Response:
    fields = await _form(request)
    code = fields.get("code", "")[:200]

    def spend() -> str:
        with _store(request).session(write=True) as session:
            return first_start.redeem(session, code).token

    try:
        token = await run_in_threadpool(spend)
    except UnilinkError as exc:
        return _page(request, "welcome.html", {"code": "", "error": views.error_dict(exc)}, status_code=422)
    response = RedirectResponse(f"{PREFIX}/network", status_code=303)
    set_session(response, request, token)
    return response


def mount(app: FastAPI) -> None:
    app.include_router(router)
