"""`netconf`: a router reached over NETCONF/SSH with ncclient (RFC 6241).

    prepare(config)  lock the candidate, start it from running (discard-changes), edit-config with
                     default-operation "replace" (the server validates types and ranges here)
    commit()         <commit><confirmed/> with a timeout: if this process dies before `confirm`,
                     the server reverts on its own (when the session drops, or at the timeout)
    confirm()        the confirming <commit/>; unlock
    rollback()       <cancel-commit/> after a commit, <discard-changes/> after a prepare; unlock

The config is ietf-interfaces/ietf-ip XML (`render("ietf", intent)`): the standard model a
standards-only server validates. `verify` compares the interfaces of the running datastore with the
expected ones, field by field (name, description, type, enabled, addresses), so that the server's
own formatting does not matter.

Why no <validate/> before <commit/>: on netconfd (yuma123 2.13) a validate of the candidate makes the
following commit a no-op (running stays unchanged; reproduced here). edit-config already validates.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from lxml import etree

from unilink.devices.drivers.base import DeviceError
from unilink.devices.render import RenderedConfig

IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IP_NS = "urn:ietf:params:xml:ns:yang:ietf-ip"
INTERFACES_FILTER = ("subtree", f'<interfaces xmlns="{IF_NS}"/>')
# The counters of every interface: /interfaces-state (ietf-interfaces 2014-05-08, what netconfd's SIL
# implements) and /interfaces (the NMDA revision 2018-02-20, where state moved under the config
# list). A server answers the one it has; a filter naming nodes it lacks selects nothing.
_STATS = "<interface><name/><speed/><statistics><discontinuity-time/><in-octets/><out-octets/></statistics></interface>"
STATISTICS_FILTER = [f'<interfaces-state xmlns="{IF_NS}">{_STATS}</interfaces-state>',
                     f'<interfaces xmlns="{IF_NS}">{_STATS}</interfaces>']

InterfaceKey = tuple[str, str, str, str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]


def canonical_interfaces(xml_text: str) -> list[InterfaceKey]:
    """The interfaces of an ietf-interfaces document as comparable tuples, sorted by name."""
    root = etree.fromstring(xml_text.encode()) if xml_text.strip() else None
    if root is None:
        return []
    out: list[InterfaceKey] = []
    for iface in root.iter(f"{{{IF_NS}}}interface"):
        def text(tag: str, ns: str = IF_NS, node: Any = iface) -> str:
            found = node.find(f"{{{ns}}}{tag}")
            return (found.text or "").strip() if found is not None else ""

        def addresses(family: str, node: Any = iface) -> tuple[tuple[str, str], ...]:
            fam = node.find(f"{{{IP_NS}}}{family}")
            if fam is None:
                return ()
            return tuple(sorted((text("ip", IP_NS, a), text("prefix-length", IP_NS, a))
                                for a in fam.findall(f"{{{IP_NS}}}address")))

        out.append((text("name"), text("description"), text("type").split(":")[-1], text("enabled") or "true",
                    addresses("ipv4"), addresses("ipv6")))
    return sorted(out)


class NetconfDriver:
    """One router over NETCONF. `connect` is `ncclient.manager.connect` (replaceable in unit tests)."""

    def __init__(self, router: str, host: str, *, port: int = 830, username: str = "root",
                 key_filename: str | None = None, password: str | None = None, hostkey_verify: bool = True,
                 timeout_s: float = 30.0, confirm_timeout_s: int = 120,
                 connect: Callable[..., Any] | None = None) -> None:
        self.router = router
        self.host, self.port, self.username = host, port, username
        self.key_filename, self.password, self.hostkey_verify = key_filename, password, hostkey_verify
        self.timeout_s = timeout_s
        self.confirm_timeout_s = confirm_timeout_s
        self._connect = connect
        self._manager: Any = None
        self._lock = threading.Lock()
        self._locked = False
        self._prepared = False
        self._unconfirmed = False

    # -- session -------------------------------------------------------------------------------

    def _session(self) -> Any:
        if self._manager is None or not self._manager.connected:
            connect = self._connect
            if connect is None:
                from ncclient import manager  # imported here: only this adapter needs ncclient
                connect = manager.connect
            try:
                self._manager = connect(host=self.host, port=self.port, username=self.username,
                                        key_filename=self.key_filename, password=self.password,
                                        hostkey_verify=self.hostkey_verify, allow_agent=False,
                                        look_for_keys=False, timeout=self.timeout_s)
            except Exception as exc:  # ncclient raises many transport/auth error types
                raise DeviceError(self.router, f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return self._manager

    def _rpc(self, what: str, call: Callable[[Any], Any]) -> Any:
        try:
            return call(self._session())
        except DeviceError:
            raise
        except Exception as exc:
            raise DeviceError(self.router, f"{what} failed: {exc}") from exc

    def close(self) -> None:
        if self._manager is not None and self._manager.connected:
            self._manager.close_session()
        self._manager = None

    def close_quietly(self) -> None:
        """Drop the session whatever its state (after a failed read: the next call reconnects)."""
        with contextlib.suppress(Exception):
            self.close()
        self._manager = None

    # -- DeviceDriver --------------------------------------------------------------------------

    def prepare(self, config: RenderedConfig) -> None:
        if config.vendor != "ietf":
            raise DeviceError(self.router, f"the netconf driver pushes ietf XML, not {config.vendor!r} "
                                           "(render with render.dialect(router))")
        with self._lock:
            self._rpc("lock", lambda m: m.lock("candidate"))
            self._locked = True
            try:
                self._rpc("discard-changes", lambda m: m.discard_changes())
                self._rpc("edit-config", lambda m: m.edit_config(target="candidate", config=config.text,
                                                                 default_operation="replace"))
            except DeviceError:
                self._release()
                raise
            self._prepared = True

    def commit(self) -> None:
        with self._lock:
            if not self._prepared:
                raise DeviceError(self.router, "commit without a prepared candidate")
            self._rpc("commit confirmed", lambda m: m.commit(confirmed=True, timeout=str(self.confirm_timeout_s)))
            self._prepared, self._unconfirmed = False, True

    def confirm(self) -> None:
        with self._lock:
            if self._unconfirmed:
                self._rpc("confirming commit", lambda m: m.commit())
                self._unconfirmed = False
            self._release()

    def rollback(self) -> None:
        with self._lock:
            if self._unconfirmed:
                self._rpc("cancel-commit", lambda m: m.cancel_commit())
                self._unconfirmed = False
            self._rpc("discard-changes", lambda m: m.discard_changes())
            self._prepared = False
            self._release()

    def _release(self) -> None:
        if self._locked:
            with contextlib.suppress(Exception):  # a lock dies with its session anyway
                self._session().unlock("candidate")
            self._locked = False

    def running_config(self) -> str:
        return str(self._rpc("get-config", lambda m: m.get_config(source="running", filter=INTERFACES_FILTER)
                             .data_xml))

    def interface_statistics(self) -> str:
        """The <data> of a <get> of every interface's name, speed and octet counters (XML text)."""
        return str(self._rpc("get statistics", lambda m: m.get(filter=STATISTICS_FILTER).data_xml))

    def verify(self, expected: RenderedConfig) -> bool:
        return canonical_interfaces(self.running_config()) == canonical_interfaces(expected.text)


def interfaces_as_text(xml_text: str) -> str:
    """The interfaces of an ietf document, one readable line each: what drift diffs compare
    (the server's running datastore and our rendering differ in formatting, not in content)."""
    lines = []
    for name, description, kind, enabled, v4, v6 in canonical_interfaces(xml_text):
        addresses = " ".join(f"{ip}/{plen}" for ip, plen in (*v4, *v6))
        lines.append(f"interface {name} type {kind} enabled {enabled} description {description!r} {addresses}".rstrip())
    return "\n".join(lines) + ("\n" if lines else "")
