"""Local tooling for lapor: runs `template.yaml` on moto without Docker, and the `lapor` command."""
