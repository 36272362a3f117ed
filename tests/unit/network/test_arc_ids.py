"""A link's two arcs, named once: (link, direction) ↔ arc id."""

import pytest
from network_testkit import build_network

from unilink.network.graph import DIRECTIONS, CompiledGraph, arc_of, direction_of


def test_arc_of_and_direction_of_are_inverse() -> None:
    for link in range(5):
        for direction in DIRECTIONS:
            arc = arc_of(link, direction)
            assert arc // 2 == link
            assert direction_of(arc) == direction


def test_an_unknown_direction_is_refused() -> None:
    with pytest.raises(KeyError):
        arc_of(0, "up")


def test_the_compiled_graph_names_the_same_arcs() -> None:
    edges = [(0, 1, 5, 10**9), (1, 2, 5, 10**9), (2, 3, 5, 10**9), (3, 0, 5, 10**9), (0, 2, 7, 10**9)]
    graph = CompiledGraph.compile(build_network(4, edges))
    link = graph.links[3]
    ab, ba = graph.arcs_of_link(3)
    assert graph.arc_id(link.name, "ab") == ab
    assert graph.arc_id(link.name, "ba") == ba
    assert graph.arc_name(ab) == (link.name, link.a, link.b)
    assert graph.arc_name(ba) == (link.name, link.b, link.a)
