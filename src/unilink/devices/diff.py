"""Per-device diffs of rendered configurations, as plans show them (dry-run).

`diff_configs(router, vendor, before, after) -> DeviceChange`. A diff compares the *full text* of
what is pushed (for FRR: the vtysh part and the Linux commands), line by line; `added`/`removed`
count lines, `unified` is a classic unified diff with the router in the file names.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from unilink.devices.render import RenderedConfig


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


def unified_diff(router: str, before_text: str, after_text: str) -> tuple[str, int, int]:
    before_lines = before_text.splitlines()
    after_lines = after_text.splitlines()
    lines = list(difflib.unified_diff(before_lines, after_lines, fromfile=f"{router} (running)",
                                      tofile=f"{router} (planned)", lineterm="", n=2))
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return ("\n".join(lines) + "\n" if lines else ""), added, removed


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
