"""Helpers of the portal's end-to-end tests (imported by bare name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unilink.store.db import Store


@dataclass
class Portal:
    url: str
    store: Store
    tokens: dict[str, str]
    screenshots: Path


def sign_in(page: Any, portal: Portal, who: str) -> None:
    """Sign in through the form, as a person would: paste the token, press the button."""
    page.goto(f"{portal.url}/portal/sign-in")
    page.get_by_label("API token").fill(portal.tokens[who])
    page.locator("form", has=page.get_by_label("API token")).get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def rows_text(page: Any, table: str) -> list[str]:
    """The text of every body row of a table (to compare a page before and after)."""
    return [" ".join(text.split()) for text in page.locator(f"{table} tbody tr").all_inner_texts()]
