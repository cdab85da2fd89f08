from __future__ import annotations

__version__ = "0.1.0"

#: the name to ``pip install`` (``myco`` on the package index is an unrelated project);
#: the import package and the command stay ``myco``
DISTRIBUTION = "myco-daemon"
