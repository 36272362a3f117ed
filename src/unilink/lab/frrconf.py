"""FRR integrated-config text as stanzas: merge the lab underlay with a rendered service part,
and tell whether a change only adds lines (then `vtysh -f` suffices) or removes some (then the
running config must be replaced, which frr-reload does). Pure.

A stanza is a top-level line (`interface acc-1`, `router bgp 65000`, `ip route ...`) and the
indented lines under it; `!`, `exit` and `end` only close stanzas.
"""

from __future__ import annotations

CLOSERS = {"!", "exit", "end", "exit-vrf"}
PREAMBLE = ("frr version", "frr defaults", "hostname", "service integrated-vtysh-config", "log ")


def parse_stanzas(text: str) -> list[tuple[str, list[str]]]:
    stanzas: list[tuple[str, list[str]]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.strip().startswith("!"):
            continue
        if not line.startswith(" "):
            if line in CLOSERS:
                continue
            stanzas.append((line, []))
        elif stanzas:
            body = stanzas[-1][1]
            if line.strip() != "exit-address-family" or not body or body[-1] != line:
                body.append(line)
    return stanzas


def merge(*texts: str) -> str:
    """One config from several parts; stanzas with the same header are joined (lines deduplicated,
    first-seen order), so the lab's `interface acc-1` (OSPF) and the service's (address) become one."""
    order: list[str] = []
    bodies: dict[str, list[str]] = {}
    for text in texts:
        for header, body in parse_stanzas(text):
            if header not in bodies:
                order.append(header)
                bodies[header] = []
            bodies[header].extend(body)  # deduplicated per address-family by _tidy_address_families
    preamble = [h for h in order if h.startswith(PREAMBLE)]
    rest = [h for h in order if not h.startswith(PREAMBLE)]
    out: list[str] = list(preamble)
    for header in rest:
        out.append(header)
        out.extend(_tidy_address_families(bodies[header]))
        if bodies[header]:
            out.append("exit")
        out.append("!")
    return "\n".join(out + ["end"]) + "\n"


def _tidy_address_families(body: list[str]) -> list[str]:
    """Two parts may each open the same address-family; keep one block per family."""
    families: dict[str, list[str]] = {}
    plain: list[str] = []
    current: str | None = None
    for line in body:
        stripped = line.strip()
        if stripped.startswith("address-family "):
            current = stripped
            families.setdefault(current, [])
        elif stripped == "exit-address-family":
            current = None
        elif current is not None:
            if line not in families[current]:
                families[current].append(line)
        elif stripped != "!" and line not in plain:
            plain.append(line)
    out = list(plain)
    for family, lines in families.items():
        out += [" !", f" {family}", *lines, " exit-address-family"]
    return out


def line_set(text: str) -> set[tuple[str, str]]:
    """(stanza header, line) pairs: the unit of comparison between two configs."""
    pairs: set[tuple[str, str]] = set()
    for header, body in parse_stanzas(text):
        pairs.add((header, ""))
        pairs.update((header, line) for line in body)
    return pairs


def only_adds(old: str, new: str) -> bool:
    """True when every stanza line of `old` is still in `new` (applying `new` on top is enough)."""
    return line_set(old) <= line_set(new)


def without_bgp(text: str) -> str:
    """The underlay part of a day-0 config: everything except `router bgp` (services bring theirs)."""
    kept = [(h, b) for h, b in parse_stanzas(text) if not h.startswith("router bgp")]
    lines: list[str] = []
    for header, body in kept:
        lines += [header, *body]
        if body:
            lines.append("exit")
        lines.append("!")
    return "\n".join(lines) + "\n"


def _nested(body: list[str]) -> list[tuple[str | None, str]]:
    """(address-family or None, line) for each line of a stanza body."""
    out: list[tuple[str | None, str]] = []
    family: str | None = None
    for line in body:
        stripped = line.strip()
        if stripped.startswith("address-family "):
            family = stripped
        elif stripped == "exit-address-family":
            family = None
        elif stripped != "!":
            out.append((family, stripped))
    return out


def removal_commands(old: str, new: str) -> str:
    """vtysh input that removes what `old` has and `new` lacks: `no <line>` inside its stanza (and
    address-family), `no <header>` for whole stanzas. Lines go in reverse order so that a
    neighbour's attributes are removed before the neighbour itself. Applying this and then `new`
    (additively) makes the running config equal `new` — what frr-reload does, at a fraction of its
    cost (it re-reads the running config and runs vtysh many times)."""
    old_stanzas = dict(parse_stanzas(old))
    new_stanzas = dict(parse_stanzas(new))
    out: list[str] = []
    for header, body in old_stanzas.items():
        if header.startswith(PREAMBLE):
            continue
        # an interface that exists in the kernel cannot be deleted from FRR: empty it instead
        if header not in new_stanzas and not header.startswith("interface "):
            out += [f"no {header}", "!"]
            continue
        kept = set(_nested(new_stanzas.get(header, [])))
        gone = [item for item in _nested(body) if item not in kept]
        if not gone:
            continue
        out.append(header)
        for family, line in reversed(gone):
            if family:
                out += [f" {family}", f"  no {line}", " exit-address-family"]
            else:
                out.append(" no description" if line.startswith("description ") else f" no {line}")
        out += ["exit", "!"]
    return "\n".join(out) + ("\n" if out else "")


def changed_stanzas(old: str, new: str) -> str:
    """The stanzas of `new` that are absent from `old` or differ from it, in full: loading just
    these is enough after the removals, and much faster than re-reading the whole config."""
    old_stanzas = dict(parse_stanzas(old))
    out: list[str] = []
    for header, body in parse_stanzas(new):
        if header.startswith(PREAMBLE) or old_stanzas.get(header) == body:
            continue
        out += [header, *body]
        if body:
            out.append("exit")
        out.append("!")
    return "\n".join(out) + ("\n" if out else "")


def carries(running: str, expected: str) -> bool:
    """Does `running` hold every line of `expected` (in the same stanza and address-family)?
    Comments and the preamble (version, hostname) are ignored."""
    have = {(h, item) for h, body in parse_stanzas(running) for item in [(None, ""), *_nested(body)]}
    for header, body in parse_stanzas(expected):
        if header.startswith(PREAMBLE):
            continue
        for item in [(None, ""), *_nested(body)]:
            if (header, item) not in have:
                return False
    return True
