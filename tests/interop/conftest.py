"""The interop tests are collected only when `make interop` names its servers."""
from __future__ import annotations

from interop.servers import names

# Without PSEUDOCAL_INTEROP_SERVERS (as in `make test`), nothing in this folder is collected.
collect_ignore_glob = [] if names() else ["test_*.py"]
