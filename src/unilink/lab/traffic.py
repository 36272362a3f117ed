"""Traffic between site hosts of a lab: reachability (ping) and throughput (iperf3).

Throughput is measured at the **receiver** in 0.2 s intervals (what a customer sees), and each
interval line is stamped with `time.monotonic()` when it is read, so a test can tell what the
receiver measured before and after a change (NOTES §4: `iperf3 -s -1` as a child process, not a
daemon, with `--forceflush` so that each interval arrives when it ends).
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from dataclasses import dataclass, field

from unilink.lab import shell

INTERVAL_S = 0.2
_INTERVAL_RE = re.compile(r"\]\s+(?P<start>\d+\.\d+)-(?P<end>\d+\.\d+)\s+sec\s+\S+\s+\S+\s+"
                          r"(?P<rate>\d+(?:\.\d+)?)\s+(?P<unit>[KMG]?)bits/sec")
_UNIT = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}


def ping(netns: str, address: str, *, count: int = 1, timeout_s: float = 1.0) -> bool:
    proc = shell.run(["ip", "netns", "exec", netns, "ping", "-n", "-q", "-c", str(count), "-W",
                      str(max(1, round(timeout_s))), "-i", "0.2", address], check=False,
                     timeout_s=timeout_s * count + 5)
    return proc.returncode == 0


def wait_reachable(netns: str, address: str, *, timeout_s: float = 20.0) -> float | None:
    """Seconds until `address` answers from `netns`, or None if it never did within `timeout_s`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if ping(netns, address, timeout_s=1.0):
            return time.monotonic() - start
        time.sleep(0.1)
    return None


@dataclass(frozen=True, slots=True)
class Interval:
    start_s: float       # seconds since the flow started (iperf3's clock)
    end_s: float
    bps: float           # receiver throughput over the interval
    read_at: float       # time.monotonic() when the line was read (≈ the end of the interval)

    @property
    def started_at(self) -> float:
        """time.monotonic() of the interval's start (read time minus its length)."""
        return self.read_at - (self.end_s - self.start_s)


@dataclass
class Iperf3Flow:
    """A TCP flow from `client_netns` to `server_netns` (`server_address`) for `seconds`."""

    client_netns: str
    server_netns: str
    server_address: str
    seconds: float = 6.0
    port: int = 5202
    intervals: list[Interval] = field(default_factory=list)
    _server: subprocess.Popen[str] | None = None
    _client: subprocess.Popen[str] | None = None
    _reader: threading.Thread | None = None

    def start(self) -> None:
        self._server = subprocess.Popen(
            ["ip", "netns", "exec", self.server_netns, "iperf3", "-s", "-1", "-p", str(self.port),
             "-i", str(INTERVAL_S), "--forceflush"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 5
        while True:  # wait for the server to listen before the client connects
            proc = shell.run(["ip", "netns", "exec", self.server_netns, "ss", "-ltn", f"sport = :{self.port}"],
                             check=False)
            if f":{self.port}" in proc.stdout:
                break
            if time.monotonic() > deadline:
                raise shell.LabError(f"iperf3 server in {self.server_netns} did not listen on {self.port}")
            time.sleep(0.05)
        self._client = subprocess.Popen(
            ["ip", "netns", "exec", self.client_netns, "iperf3", "-c", self.server_address, "-p", str(self.port),
             "-t", str(self.seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _read(self) -> None:
        assert self._server is not None and self._server.stdout is not None
        for line in self._server.stdout:
            match = _INTERVAL_RE.search(line)
            if match and "receiver" not in line and "sender" not in line:
                self.intervals.append(Interval(float(match["start"]), float(match["end"]),
                                               float(match["rate"]) * _UNIT[match["unit"]], time.monotonic()))

    def wait_for_rate_above(self, bps: float, timeout_s: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.intervals and self.intervals[-1].bps > bps:
                return True
            time.sleep(0.05)
        return False

    def finish(self, timeout_s: float = 30.0) -> list[Interval]:
        for proc in (self._client, self._server):
            if proc is not None:
                try:
                    proc.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
        return list(self.intervals)

    def stop(self) -> None:
        for proc in (self._client, self._server):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
