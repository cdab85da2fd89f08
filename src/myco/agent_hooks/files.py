"""Reading and writing the hooks' small state files, with string paths.

:mod:`pathlib` costs a hook about 4 ms to import (it brings :mod:`re`,
:mod:`urllib.parse` and :mod:`ipaddress` along); these two helpers are all the hook path
needs of it. Directories are created private (``0o700``): the state holds tokens' tenants
and unsent events.
"""

from __future__ import annotations

import os


def read_text(path: str) -> str:
    """The file's text (UTF-8); ``OSError`` when it cannot be read."""
    with open(path, encoding="utf-8") as f:
        return f.read()


def write_text(path: str, text: str) -> None:
    """Write *text* (UTF-8), creating the parent directories; ``OSError`` on failure."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
