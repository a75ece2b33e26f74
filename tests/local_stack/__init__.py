"""Tests of the local stack (infra/lapor_local): template.yaml on moto, no Docker."""
