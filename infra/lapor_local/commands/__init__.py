"""Subcommands of `lapor`; see `lapor_local.cli`."""
