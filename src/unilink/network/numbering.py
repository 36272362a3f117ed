"""The backbone's own numbers, in one place.

`BACKBONE_ASN` is the operator's (private) AS number: the one iBGP AS of the EVPN overlay between
PEs, and the prefix of the route distinguishers and route targets the engine allocates
(`ASN:number`). Hub-and-spoke VPNs import from `BACKBONE_ASN + 1`, so that AS is reserved too.
"""

from __future__ import annotations

BACKBONE_ASN = 65000
