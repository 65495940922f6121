"""``python -m mockfiles``."""

from .cli import main

raise SystemExit(main())
