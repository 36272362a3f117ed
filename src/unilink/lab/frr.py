"""One FRR instance per router namespace: start, configure, query, stop.

Everything sits under the router's own directory (`<labdir>/frr/<netns>`, owned by frr): vty
sockets, zserv socket, pid files, logs, the integrated config. Nothing touches /etc/frr.
Recipe and gotchas: NOTES §2 (never pass -N to vtysh together with --vty_socket).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unilink.lab.frrconf import changed_stanzas, only_adds, removal_commands
from unilink.lab.probes import FRR_DAEMON_DIR, FRR_DAEMONS
from unilink.lab.shell import LabError, pid_alive, run, signal_pid

VTYSH_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class FrrInstance:
    netns: str
    directory: Path

    @property
    def config_path(self) -> Path:
        return self.directory / "frr.conf"

    def pid_path(self, daemon: str) -> Path:
        return self.directory / f"{daemon}.pid"

    # -- processes --------------------------------------------------------------------------------

    def start(self, config_text: str) -> None:
        """Start the four daemons in the namespace and load `config_text` into them."""
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.directory, "frr", "frr")
        os.chmod(self.directory, 0o775)
        self.config_path.write_text(config_text)
        shutil.chown(self.config_path, "frr", "frr")
        for daemon in FRR_DAEMONS:  # zebra first: the others connect to its zserv socket
            d = str(self.directory)
            run(["ip", "netns", "exec", self.netns, str(FRR_DAEMON_DIR / daemon), "-d", "-N", self.netns,
                 "-P", "0", "-u", "frr", "-g", "frr", "--vty_socket", d, "-z", f"{d}/zserv.api",
                 "-i", str(self.pid_path(daemon)), "-f", "/dev/null", "--log", f"file:{d}/{daemon}.log"])
        self._wait_for_vty()
        self.load(config_text)

    def _wait_for_vty(self, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if all((self.directory / f"{d}.vty").exists() for d in FRR_DAEMONS):
                return
            if time.monotonic() > deadline:
                raise LabError(f"FRR in {self.netns} did not open its vty sockets within {timeout_s:.0f} s "
                               f"(logs in {self.directory})")
            time.sleep(0.02)

    def pids(self) -> dict[str, int]:
        """Daemon → pid for the daemons that are alive and really ours (cmdline names our directory)."""
        alive: dict[str, int] = {}
        for daemon in FRR_DAEMONS:
            try:
                pid = int(self.pid_path(daemon).read_text().strip())
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except (OSError, ValueError):
                continue
            if str(self.directory) in cmdline:
                alive[daemon] = pid
        return alive

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGTERM our daemons, SIGKILL what is left after `timeout_s`."""
        pids = self.pids()
        for pid in pids.values():
            signal_pid(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while pids and time.monotonic() < deadline:
            pids = {d: p for d, p in pids.items() if pid_alive(p)}
            time.sleep(0.05)
        for pid in pids.values():
            signal_pid(pid, signal.SIGKILL)

    # -- configuration ----------------------------------------------------------------------------

    def vtysh(self, *commands: str, timeout_s: float = VTYSH_TIMEOUT_S) -> str:
        argv = ["vtysh", "--vty_socket", str(self.directory)]
        for command in commands:
            argv += ["-c", command]
        return run(argv, timeout_s=timeout_s).stdout

    def vtysh_json(self, command: str) -> Any:
        text = self.vtysh(command)
        try:
            return json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise LabError(f"{self.netns}: '{command}' did not return JSON: {text[:200]}") from exc

    def load(self, config_text: str) -> None:
        """Add `config_text` to the running config (vtysh -f: additive, like typing it)."""
        path = self.directory / "load.conf"
        path.write_text(config_text)
        shutil.chown(path, "frr", "frr")
        run(["vtysh", "--vty_socket", str(self.directory), "-f", str(path)], timeout_s=VTYSH_TIMEOUT_S)

    def transition(self, old_text: str, new_text: str) -> None:
        """Make the running config go from `old_text` to `new_text` in one vtysh run: the `no`
        forms of vanished lines (a failure there is tolerated: the line may already be gone), then
        the stanzas that changed (a failure there is an error)."""
        removals = "" if only_adds(old_text, new_text) else removal_commands(old_text, new_text)
        delta = changed_stanzas(old_text, new_text)
        if not removals and not delta:
            return
        path = self.directory / "transition.conf"
        path.write_text(removals + delta)
        shutil.chown(path, "frr", "frr")
        proc = run(["vtysh", "--vty_socket", str(self.directory), "-f", str(path)], check=False,
                   timeout_s=VTYSH_TIMEOUT_S)
        first_delta_line = removals.count("\n") + 1
        failed = [int(n) for n in re.findall(r"line (\d+):", proc.stdout + proc.stderr)]
        if proc.returncode != 0 and (not failed or max(failed) >= first_delta_line):
            output = (proc.stdout + proc.stderr).strip()[-600:]
            raise LabError(f"{self.netns}: FRR refused the new config: {output}")

    def check(self, config_text: str) -> None:
        """Dry-run: vtysh parses the whole file without applying it (`vtysh -C -f`)."""
        path = self.directory / "check.conf"
        path.write_text(config_text)
        proc = subprocess.run(["vtysh", "--vty_socket", str(self.directory), "-C", "-f", str(path)],
                              capture_output=True, text=True, timeout=VTYSH_TIMEOUT_S, check=False)
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).strip()[-600:]
            raise LabError(f"{self.netns}: FRR rejects the config: {output}")

    def running_config(self) -> str:
        return self.vtysh("show running-config")
