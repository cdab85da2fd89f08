from __future__ import annotations

from myco.cli import main

raise SystemExit(main())
