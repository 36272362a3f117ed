"""Every table module of unilink, one per domain.

Importing this package imports each module in it, so that `Base.metadata` is complete (for the
migration environment and for tests that compare the migrated schema with the models). A domain adds
a table by adding a module here, nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
