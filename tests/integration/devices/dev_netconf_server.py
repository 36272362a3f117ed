"""A real NETCONF server for tests: Debian's netconfd (yuma123) behind a private sshd on 127.0.0.1.

Recipe from ../shared/lab/NOTES.md §6, adapted to run in the root namespace on a free high port:
netconfd listens on a private Unix socket; sshd's `netconf` subsystem bridges to it; netconfd must be
told the port (`--port`), else it refuses the session ("agt_connect error (access denied)").
Everything lives in one temporary directory and both processes are stopped by `stop()`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NETCONFD = shutil.which("netconfd") or "/usr/sbin/netconfd"
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SUBSYSTEM = "/usr/sbin/netconf-subsystem"


def unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "the NETCONF server test needs root (netconfd --superuser=root, sshd)"
    for path in (NETCONFD, SSHD, SUBSYSTEM):
        if not Path(path).exists():
            return (f"{path} is absent: apt-get install -y --no-install-recommends netconfd yangcli "
                    "openssh-server")
    if shutil.which("ssh-keygen") is None:
        return "ssh-keygen is absent (openssh-client)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class NetconfServer:
    directory: Path
    port: int
    client_key: Path
    processes: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)

    def driver_args(self) -> dict[str, object]:
        return {"host": "127.0.0.1", "port": self.port, "username": "root", "key_filename": str(self.client_key),
                "hostkey_verify": False}


def start(directory: Path, *, netns: str | None = None) -> NetconfServer:
    """netconfd (in the network namespace `netns` when given: its ietf-interfaces SIL then reports
    that namespace's interfaces) behind sshd on 127.0.0.1 of this namespace: the subsystem reaches
    netconfd over its Unix socket, a file both namespaces see."""
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    sock = directory / "ncxserver.sock"
    (directory / "startup-cfg.xml").write_text('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>\n')
    for key in ("hostkey", "clientkey"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(directory / key)], check=True)
    shutil.copy(directory / "clientkey.pub", directory / "authorized_keys")
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    (directory / "sshd_config").write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {directory / 'hostkey'}",
        f"PidFile {directory / 'sshd.pid'}", f"AuthorizedKeysFile {directory / 'authorized_keys'}",
        "PermitRootLogin prohibit-password", "PasswordAuthentication no", "UsePAM no", "StrictModes no",
        f'Subsystem netconf "{SUBSYSTEM} --ncxserver-sockname={port}@{sock}"', ""]))
    log = open(directory / "processes.log", "ab")  # noqa: SIM115 - kept open for the processes' lifetime
    in_netns = ["ip", "netns", "exec", netns] if netns else []
    netconfd = subprocess.Popen(
        [*in_netns, NETCONFD, "--module=ietf-interfaces", "--module=iana-if-type", "--module=ietf-ip",
         f"--ncxserver-sockname={sock}", "--superuser=root", f"--port={port}",
         f"--startup={directory / 'startup-cfg.xml'}", f"--log={directory / 'netconfd.log'}"],
        stdout=log, stderr=log, cwd=directory, env=_netconfd_env(directory))
    server = NetconfServer(directory=directory, port=port, client_key=directory / "clientkey", processes=[netconfd])
    try:
        _wait(lambda: sock.exists(), "netconfd socket", netconfd)
        sshd = subprocess.Popen([SSHD, "-f", str(directory / "sshd_config"), "-D", "-e"], stdout=log, stderr=log)
        server.processes.append(sshd)
        _wait(lambda: _listening(port), "sshd port", sshd)
    except Exception:
        server.stop()
        raise
    return server


# netconfd-module-ietf-interfaces (the SIL that fills /interfaces-state) runs a helper,
# `get-interface-ipv4 IFNAME`, for each interface's ietf-ip state, and aborts netconfd (an assert in
# get_ipv4) when the helper does not answer; Debian's package does not ship it. This one answers
# what the SIL expects: an <ipv4> element of ietf-ip with the interface's addresses, or nothing.
IPV4_HELPER = """#!/bin/sh
ip -4 -o addr show dev "$1" 2>/dev/null | awk '
  { split($4, a, "/"); out = out "<address><ip>" a[1] "</ip><prefix-length>" a[2] "</prefix-length></address>" }
  END { if (out != "") printf "<ipv4 xmlns=\\"urn:ietf:params:xml:ns:yang:ietf-ip\\">%s</ipv4>\\n", out }'
"""


def _netconfd_env(directory: Path) -> dict[str, str]:
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    helper = bin_dir / "get-interface-ipv4"
    helper.write_text(IPV4_HELPER)
    helper.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}"}


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait(ready, what: str, proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {timeout_s} s")
