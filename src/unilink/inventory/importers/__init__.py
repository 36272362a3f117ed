"""Importers: files in other people's formats → an `ImportResult`, all-or-nothing.

`import_file(path, fmt=None)` picks the format from `fmt` or the file extension:

| fmt      | extensions                 | what it reads                                        |
|----------|----------------------------|------------------------------------------------------|
| graphml  | .graphml, .xml             | Topology Zoo GraphML                                 |
| sndlib   | .txt, .sndlib              | SNDlib native format (nodes, links, demands)         |
| repetita | .graph (+ .demands beside) | REPETITA topology; demands from `<stem>.demands` or  |
|          | .demands (+ .graph beside) | `<stem>.<n>.demands` when present                    |
| yaml     | .yaml, .yml                | unilink's own inventory format (docs/inventory.md)   |

Every importer parses the whole file, validates the whole network and only then returns; any
problem raises `ParseError` naming the file, the line and what is wrong. Nothing is half-read.
"""

from __future__ import annotations

from pathlib import Path

from unilink.errors import ParseError
from unilink.inventory.model import Demand, ImportResult

FORMATS = ("graphml", "sndlib", "repetita", "yaml")
_BY_EXTENSION = {
    ".graphml": "graphml", ".xml": "graphml",
    ".txt": "sndlib", ".sndlib": "sndlib",
    ".graph": "repetita", ".demands": "repetita",
    ".yaml": "yaml", ".yml": "yaml",
}


def detect_format(path: Path) -> str:
    fmt = _BY_EXTENSION.get(path.suffix.lower())
    if fmt is None:
        raise ParseError(f"cannot tell the format from the extension {path.suffix!r}", path=str(path),
                         field="format", value=path.suffix,
                         accepted="give --format graphml|sndlib|repetita|yaml, or a file ending in "
                                  + ", ".join(sorted(_BY_EXTENSION)))
    return fmt


def import_file(path: Path | str, fmt: str | None = None) -> ImportResult:
    """Read a network (and any demands) from `path`; raises `ParseError` naming file and line."""
    path = Path(path)
    if fmt is not None and fmt not in FORMATS:
        raise ParseError(f"unknown format {fmt!r}", path=str(path), field="format", value=fmt,
                         accepted=" | ".join(FORMATS))
    fmt = fmt or detect_format(path)
    if not path.is_file():
        raise ParseError("no such file", path=str(path), field="path", value=str(path),
                         accepted="the path of a readable file")
    if fmt == "graphml":
        from unilink.inventory.importers.graphml import import_graphml

        return import_graphml(path)
    if fmt == "sndlib":
        from unilink.inventory.importers.sndlib import import_sndlib

        return import_sndlib(path)
    if fmt == "repetita":
        from unilink.inventory.importers.repetita import import_repetita

        return import_repetita(path)
    from unilink.inventory.importers.yaml_format import import_yaml

    return import_yaml(path)


def read_demands(path: Path | str, fmt: str | None = None) -> tuple[Demand, ...]:
    """Only the demands of a file — including SNDlib traffic-matrix files that hold DEMANDS alone.

    `import_file` refuses a file without nodes (importing it would replace the network with an
    empty one); planning reads traffic matrices through this function instead.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt == "sndlib":
        if not path.is_file():
            raise ParseError("no such file", path=str(path), field="path", value=str(path),
                             accepted="the path of a readable file")
        from unilink.inventory.importers.sndlib import read_sndlib_demands

        return read_sndlib_demands(path)
    return import_file(path, fmt).demands
