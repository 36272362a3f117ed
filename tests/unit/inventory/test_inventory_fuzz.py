"""Damaged files never crash an importer: they import, or raise ParseError naming the file.

A user must never see a stack trace. Hypothesis truncates good files anywhere and overwrites
random characters; the only acceptable outcomes are a valid network or a `ParseError`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

# The good files of the per-format tests (pytest puts this folder on sys.path: no package here).
from test_inventory_graphml import HEAD, LONDON, PARIS, TAIL, edge, node
from test_inventory_repetita import GRAPH
from test_inventory_sndlib import GOOD as SNDLIB
from test_inventory_yaml import GOOD as YAML

from unilink.errors import ParseError
from unilink.inventory.importers import import_file

GRAPHML = HEAD + PARIS + LONDON + node("2", "Junction", hyperedge=True) + edge("0", "1", "1e10") + \
    edge("0", "2") + edge("1", "2", speed="10", units="G") + TAIL
SAMPLES = {".graphml": GRAPHML, ".txt": SNDLIB, ".graph": GRAPH, ".yaml": YAML}
_JUNK = st.sampled_from(list("()[]{}<>:;,-#&\"'=/ \n\t0123456789.eEGMx") + ["-1", "1e999", "nan", "\u00e9", "\x00"])


def outcome(suffix: str, text: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"damaged{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            result = import_file(path)
        except ParseError as exc:
            assert exc.path == str(path) and str(path) in str(exc)
            return "refused"
        result.network.validate()
        return "imported"


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_truncated_files_import_or_are_refused(suffix: str, data: st.DataObject) -> None:
    text = SAMPLES[suffix]
    cut = data.draw(st.integers(0, len(text)))
    outcome(suffix, text[:cut])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_damaged_files_import_or_are_refused(suffix: str, data: st.DataObject) -> None:
    text = list(SAMPLES[suffix])
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text) - 1))
        text[position] = data.draw(_JUNK)
    outcome(suffix, "".join(text))
