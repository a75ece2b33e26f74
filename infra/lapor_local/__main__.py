"""`python -m lapor_local ...` is the `lapor` command."""

from lapor_local.cli import main

raise SystemExit(main())
