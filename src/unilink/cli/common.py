"""What every CLI command shares: JSON output, clear errors, exit codes.

Exit codes are a public contract: 0 ok, 2 bad input (unknown name, malformed file, bad unit),
3 infeasible (the network cannot carry it), 4 conflict (stale plan), 1 anything else.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from unilink.errors import UnilinkError

console = Console()
err_console = Console(stderr=True)


class Table(RichTable):
    """A Rich table whose cells wrap instead of being cut with "…": at 80 columns a link or zone name,
    which the reader needs whole (to type it into the next command), folds onto a second line."""

    def add_column(self, *args: Any, overflow: Any = "fold", **kwargs: Any) -> None:
        super().add_column(*args, overflow=overflow, **kwargs)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


@contextmanager
def cli_errors(as_json: bool = False, *, working: str | None = None) -> Iterator[None]:
    """Turn a `UnilinkError` into a message (or JSON on stdout) and its exit code; never a traceback.

    `working`: what the block does, shown with a spinner on stderr while it runs — when stderr is a
    terminal and the output is not JSON, so that pipes and scripts see nothing of it.
    """
    try:
        with spinner(None if as_json else working):
            yield
    except UnilinkError as exc:
        if as_json:
            print_json(exc.to_dict())
        else:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        raise typer.Exit(exc.exit_code) from None


@contextmanager
def spinner(message: str | None) -> Iterator[None]:
    """`message` with a spinner on stderr while the block runs, when stderr is a terminal (else nothing).
    Print nothing inside the block: the spinner owns the terminal's last line meanwhile."""
    if message is None or not err_console.is_terminal:
        yield
        return
    with err_console.status(message, spinner="dots"):
        yield


def run_cli(func: Callable[[], Any], as_json: bool = False) -> Any:
    with cli_errors(as_json):
        return func()
