"""Adapters from files to a planning problem: topology + demands through the inventory importers.

REPETITA demands name nodes by their *index* in a topology file, so they can only be read together
with it: the importer pairs `<stem>.graph` with `<stem>.demands`. When the two files given do not
share a stem, we pair them under one stem in a temporary directory (symbolic links, nothing copied)
and put the user's own paths back into any error message.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from unilink.errors import ParseError, ValidationError
from unilink.inventory.model import Demand, Network

DEMAND_FORMATS = ("repetita", "sndlib")


def load_topology_and_demands(topology: Path | str, demands: Path | str | None = None,
                              fmt: str | None = None) -> tuple[Network, tuple[Demand, ...]]:
    """Read a network and its demands. `fmt` (repetita | sndlib) is inferred from the extension when None."""
    from unilink.inventory.importers import detect_format, import_file, read_demands

    topology = Path(topology)
    demands_path = Path(demands) if demands is not None else None
    fmt = fmt or detect_format(topology)
    if fmt not in DEMAND_FORMATS:
        raise ValidationError("demands can only be read from REPETITA or SNDlib files", field="--format",
                              value=fmt, accepted=" | ".join(DEMAND_FORMATS))
    for flag, path in (("--topology", topology), ("--demands", demands_path)):
        if path is not None and not path.is_file():
            raise ValidationError("no such file", field=flag, value=str(path), accepted="the path of a readable file")
    if demands_path is None or _same_file(topology, demands_path):
        result = import_file(topology, fmt)
        return result.network, tuple(result.demands)
    if fmt == "sndlib":  # SNDlib names nodes: a separate demands file stands on its own
        network = import_file(topology, fmt).network
        return network, tuple(read_demands(demands_path, fmt))
    if demands_path.parent.resolve() == topology.parent.resolve() and demands_path.stem == topology.stem:
        result = import_file(topology, fmt)
        return result.network, tuple(result.demands)
    return _paired_repetita(topology, demands_path)


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _paired_repetita(topology: Path, demands: Path) -> tuple[Network, tuple[Demand, ...]]:
    from unilink.inventory.importers import import_file

    with tempfile.TemporaryDirectory(prefix="unilink-repetita-") as tmp:
        graph_link = Path(tmp) / "topology.graph"
        demands_link = Path(tmp) / "topology.demands"
        graph_link.symlink_to(topology.resolve())
        demands_link.symlink_to(demands.resolve())
        try:
            result = import_file(graph_link, "repetita")
        except ParseError as exc:
            raise _with_user_paths(exc, {str(graph_link): topology, str(demands_link): demands}) from None
    if not result.demands:
        raise ValidationError("no demands were read", field="--demands", value=str(demands),
                              accepted="a REPETITA demands file for this topology (DEMANDS n / label src dest bw)")
    return result.network, tuple(result.demands)


def _with_user_paths(exc: ParseError, user_path: dict[str, Path]) -> ParseError:
    """The same error, naming the files the user gave rather than our temporary links."""
    where = f"{exc.path}:{exc.line}" if exc.line is not None else exc.path
    text = exc.message.removeprefix(f"{where}: ")
    for link, path in user_path.items():
        text = text.replace(link, str(path))
    value = exc.value
    if isinstance(value, str):
        for link, path in user_path.items():
            value = value.replace(link, str(path))
    return ParseError(text, path=str(user_path.get(exc.path, exc.path)), line=exc.line, field=exc.field,
                      value=value, accepted=exc.accepted)
