"""Moved to `unilink.access.security` (the layer below the API and the portal).

Kept only for `api/routes/changes.py`, which another branch of issue 12 rewrites; remove at merge.
"""

from unilink.access.security import OPERATOR_ROLES, WRITER_ROLES, Principal, Role

__all__ = ["OPERATOR_ROLES", "WRITER_ROLES", "Principal", "Role"]
