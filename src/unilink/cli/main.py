"""The `unilink` command. Each domain adds its own sub-commands here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="unilink",
    help="unilink — unified connectivity on a pan-European backbone.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Sub-command registration: one line per domain (keep sorted by domain).
# -- registrations --


def main() -> None:
    app()


if __name__ == "__main__":
    main()
