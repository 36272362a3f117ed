"""The one place the lab runs programs: `ip`, `tc`, `vtysh`, FRR daemons, iperf3.

Every failure becomes a `LabError` naming the command and what it printed, so that the CLI shows
a sentence instead of a traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence

from unilink.errors import UnilinkError

COMMAND_TIMEOUT_S = 30.0


class LabError(UnilinkError):
    """A lab command failed or the machine cannot run the lab (the message says which)."""

    exit_code = 1


def run(argv: Sequence[str], *, input_text: str | None = None, check: bool = True,
        timeout_s: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(list(argv), input=input_text, capture_output=True, text=True, timeout=timeout_s,
                              check=False)
    except FileNotFoundError as exc:
        raise LabError(f"program not found: {argv[0]} (install it: see docs/lab.md)") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout_s:.0f} s: {' '.join(argv)}") from exc
    if check and proc.returncode != 0:
        output = (proc.stderr.strip() or proc.stdout.strip())[-800:]
        raise LabError(f"command failed (exit {proc.returncode}): {' '.join(argv)}: {output}")
    return proc


def ip_batch(lines: Sequence[str], netns: str | None = None) -> None:
    """Run `ip` lines in one process (fast: NOTES §2 measured 4x over one call per line)."""
    if not lines:
        return
    argv = ["ip"] + (["-n", netns] if netns else []) + ["-batch", "-"]
    run(argv, input_text="\n".join(lines) + "\n")


def tc(netns: str, args: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(["tc", "-n", netns, *args], check=check)


def ip(netns: str | None, args: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(["ip"] + (["-n", netns] if netns else []) + list(args), check=check)


def in_netns(netns: str, argv: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return run(["ip", "netns", "exec", netns, *argv], **kwargs)  # type: ignore[arg-type]


def netns_list() -> list[str]:
    proc = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]


def signal_pid(pid: int, sig: signal.Signals) -> None:
    """Send `sig`; a process that already exited is fine."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def pid_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie counts as gone)."""
    try:
        status = open(f"/proc/{pid}/status").read()  # noqa: SIM115 - tiny read, closed by refcount
    except OSError:
        return False
    return "\nState:\tZ" not in status
