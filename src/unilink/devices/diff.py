"""Per-device diffs of rendered configurations: the one config diff of the project.

`config_diff(router, before, after, context=1) -> str` is the unified diff every caller uses — plans
(engine), device changes, drift — from the text running to the text planned, `router (running)` →
`router (planned)` in the file names. Its width is the one thing callers choose: a plan keeps one
line of context (`PLAN_CONTEXT_LINES`: plans are stored with their diffs, one per touched router),
a `DeviceChange` two (`DEVICE_CONTEXT_LINES`: what the device layer's golden diffs show).

`diff_configs(router, vendor, before, after) -> DeviceChange` compares the *full text* of what is
pushed (for FRR: the vtysh part and the Linux commands); `added`/`removed` count lines.
Tenants never see these diffs (a router's config carries every tenant on it): the engine gives them
`engine.devices.attachment_changes` instead; operators read the diff.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from unilink.devices.render import RenderedConfig

PLAN_CONTEXT_LINES = 1    # a plan's diffs (engine): compact, stored with the plan
DEVICE_CONTEXT_LINES = 2  # a DeviceChange's diff (device layer, drift, the golden .diff files)

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True, slots=True)
class DeviceChange:
    """What one router will receive: the config before (None: nothing managed yet) and after."""

    router: str
    vendor: str
    before: RenderedConfig | None
    after: RenderedConfig
    diff: str           # unified diff of before.full_text() → after.full_text()
    added: int          # lines added
    removed: int        # lines removed

    @property
    def changed(self) -> bool:
        return self.added > 0 or self.removed > 0

    def to_dict(self) -> dict[str, object]:
        return {"router": self.router, "vendor": self.vendor, "added": self.added, "removed": self.removed,
                "diff": self.diff}


def count_lines(diff: str) -> tuple[int, int]:
    """(lines added, lines removed) of a unified diff."""
    lines = diff.splitlines()
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return added, removed


def unified_diff(router: str, before_text: str, after_text: str,
                 context: int = DEVICE_CONTEXT_LINES) -> tuple[str, int, int]:
    """`config_diff` with its line counts: (diff, added, removed)."""
    text = config_diff(router, before_text, after_text, context)
    return (text, *count_lines(text))


def change_from_diff(router: str, vendor: str, before: RenderedConfig | None, after: RenderedConfig,
                     diff: str) -> DeviceChange:
    """A `DeviceChange` around a diff already made (a plan's): its lines are counted, not diffed again."""
    added, removed = count_lines(diff)
    return DeviceChange(router=router, vendor=vendor, before=before, after=after, diff=diff, added=added,
                        removed=removed)


def diff_configs(router: str, vendor: str, before: RenderedConfig | None, after: RenderedConfig) -> DeviceChange:
    before_text = before.full_text() if before is not None else ""
    text, added, removed = unified_diff(router, before_text, after.full_text())
    return DeviceChange(router=router, vendor=vendor, before=before, after=after, diff=text,
                        added=added, removed=removed)


def diff_all(before: Mapping[str, RenderedConfig], after: Mapping[str, RenderedConfig],
             vendors: Mapping[str, str]) -> list[DeviceChange]:
    """The changes of every router whose config differs, sorted by router name."""
    changes = []
    for router in sorted(after):
        change = diff_configs(router, vendors.get(router, after[router].vendor), before.get(router), after[router])
        if change.changed:
            changes.append(change)
    return changes


# -- the diff itself ------------------------------------------------------------------------------

def config_diff(router: str, before: str, after: str, context: int = PLAN_CONTEXT_LINES) -> str:
    """The unified diff of two configs, `router (running)` → `router (planned)`.

    A change usually touches a few lines of a long config: the common head and tail are found on
    the text itself (string comparisons run in C) and skipped before difflib runs (it is
    quadratic), and the hunk line numbers are shifted back to the whole file's. Only the differing
    middle, with `context` lines around it, is split into lines. Where a change could be aligned
    in several ways (an inserted block next to repeated lines such as `!`), the hunks may sit a line
    apart from plain difflib's: the same lines added and removed."""
    if before == after:
        return ""
    if not _whole_lines(before) or not _whole_lines(after):  # the fast paths below need whole lines
        return _plain_diff(router, before, after, context)
    start = before.rfind("\n", 0, _common_prefix(before, after)) + 1  # a line start in both texts
    common_tail = _common_suffix(before, after, limit=min(len(before), len(after)) - start)
    # the first line start inside the common tail (its newline is common, so a line start in both)
    end = before.find("\n", len(before) - common_tail) + 1 if common_tail else 0
    end = end or len(before)
    for _ in range(context):  # widen by the context lines, which both texts share
        if start:
            start = before.rfind("\n", 0, start - 1) + 1
        if end < len(before):
            end = before.find("\n", end) + 1 or len(before)
    after_end = len(after) - (len(before) - end)
    skipped_lines = before.count("\n", 0, start)
    old, new = before[start:end].splitlines(keepends=True), after[start:after_end].splitlines(keepends=True)
    names = f"{router} (running)", f"{router} (planned)"
    aligned = _aligned_diff(old, new, names, context, skipped_lines)
    if aligned is not None:
        return aligned
    lines = difflib.unified_diff(old, new, fromfile=names[0], tofile=names[1], n=context)
    return "".join(_shift_hunk(line, skipped_lines) for line in lines)


def _aligned_diff(old: list[str], new: list[str], names: tuple[str, str], context: int, offset: int) -> str | None:
    """The unified diff of two equally long line lists that differ in a few places, line for line.

    The common case of a rate change: a few lines rewritten in place, spread over the config (policy
    maps at the top, interfaces at the bottom), where difflib would compare everything in between.
    None when the lists differ in length or in more than a quarter of their lines (difflib then
    finds a shorter edit than line for line).
    """
    if len(old) != len(new) or not old or not old[-1].endswith("\n") or not new[-1].endswith("\n"):
        return None
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if not changed or len(changed) * 4 > len(old):
        return None
    hunks: list[list[int]] = [[changed[0], changed[0]]]
    for i in changed[1:]:
        if i - hunks[-1][1] <= 2 * context + 1:  # as difflib: hunks closer than twice the context merge
            hunks[-1][1] = i
        else:
            hunks.append([i, i])
    out = [f"--- {names[0]}\n", f"+++ {names[1]}\n"]
    for first, last in hunks:
        low, high = max(0, first - context), min(len(old), last + context + 1)
        span = _unified_range(low + offset, high + offset)
        out.append(f"@@ -{span} +{span} @@\n")
        i = low
        while i < high:
            if old[i] == new[i]:
                out.append(" " + old[i])
                i += 1
                continue
            run = i
            while run < high and old[run] != new[run]:
                run += 1
            out.extend("-" + line for line in old[i:run])
            out.extend("+" + line for line in new[i:run])
            i = run
    return "".join(out)


def _unified_range(start: int, stop: int) -> str:
    """A hunk range as difflib writes it: `first,length` (one line: `first`; none: `first-1,0`)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


_CHUNK = 4096


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix, by chunk comparisons then a bisection (all in C)."""
    limit = min(len(a), len(b))
    low = 0
    while low + _CHUNK <= limit and a[low:low + _CHUNK] == b[low:low + _CHUNK]:
        low += _CHUNK
    high = min(limit, low + _CHUNK)
    while low < high:  # a[:low] == b[:low]; the answer is at most `high`
        mid = (low + high + 1) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _common_suffix(a: str, b: str, *, limit: int) -> int:
    """Length of the longest common suffix, at most `limit`."""
    low, la, lb = 0, len(a), len(b)
    while low + _CHUNK <= limit and a[la - low - _CHUNK:la - low] == b[lb - low - _CHUNK:lb - low]:
        low += _CHUNK
    high = min(limit, low + _CHUNK)
    while low < high:
        mid = (low + high + 1) // 2
        if a[la - mid:la - low] == b[lb - mid:lb - low]:
            low = mid
        else:
            high = mid - 1
    return low


def _shift_hunk(line: str, offset: int) -> str:
    if not offset or not line.startswith("@@ "):
        return line
    match = _HUNK_RE.match(line)
    if match is None:  # pragma: no cover - difflib always writes this form
        return line
    a, a_len, b, b_len = match.groups()
    a_start, b_start = int(a) + offset, int(b) + offset
    return (f"@@ -{a_start}{',' + a_len if a_len is not None else ''} "
            f"+{b_start}{',' + b_len if b_len is not None else ''} @@\n")


def _whole_lines(text: str) -> bool:
    return not text or text.endswith("\n")


def _plain_diff(router: str, before: str, after: str, context: int) -> str:
    """difflib on the lines without their ends: for a text whose last line has no newline (the
    fast paths compare lines with their ends, and would glue that line to the next one)."""
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), fromfile=f"{router} (running)",
                                      tofile=f"{router} (planned)", lineterm="", n=context))
    return "\n".join(lines) + "\n" if lines else ""
