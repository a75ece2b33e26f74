"""Seeding the directory (agencies and categories) from its data file into the store: tooling for `lapor seed`
and the local stack, never part of the Lambda layer (the functions only read the directory)."""

from __future__ import annotations

import json
from pathlib import Path

from lapor import store
from lapor.directory import Directory
from lapor.store import forget_directory

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[1] / "directory.json"


def seed_directory(path: Path | None = None) -> tuple[int, int]:
    """Check the directory file and write it into the reports table; returns (agencies, categories)."""
    data = json.loads((path or DEFAULT_DIRECTORY).read_text(encoding="utf-8"))
    directory = Directory.from_data(data)  # fails loudly on a broken file, before anything is written
    store.write_directory(data)
    forget_directory()
    return len(directory.agencies), len(directory.categories)


# The local pool's first users (`lapor run` seeds them; the local sign-in page lists the pool): the regency's
# administrator (Diskominfo's, at the regency's own agency), its coordinator and two offices' officers.
LOCAL_OFFICERS = (
    ("admin@baritoutara.lapor.local", "Admin Diskominfo", "pemkab-barito-utara", "admin"),
    ("koordinator@baritoutara.lapor.local", "Koordinator Pengaduan", "pemkab-barito-utara", "dispatcher"),
    ("petugas.dpupr@baritoutara.lapor.local", "Petugas DPUPR", "dpupr-barito-utara", "officer"),
    ("petugas.dinkes@baritoutara.lapor.local", "Petugas Dinkes", "dinkes-barito-utara", "officer"),
)


def seed_officers(user_pool_id: str) -> int:
    """Create the local pool's first users (none exists yet: a fresh moto); returns how many."""
    from lapor import aws
    from lapor.userpool import AGENCY_ATTRIBUTE, ROLE_ATTRIBUTE

    idp = aws.client("cognito-idp")
    for email, name, agency_id, role in LOCAL_OFFICERS:
        attributes = {"email": email, "email_verified": "true", "name": name, AGENCY_ATTRIBUTE: agency_id}
        idp.admin_create_user(
            UserPoolId=user_pool_id,
            Username=email,
            UserAttributes=[{"Name": k, "Value": v} for k, v in {**attributes, ROLE_ATTRIBUTE: role}.items()],
            MessageAction="SUPPRESS",  # no invitation: the local sign-in page needs no password
        )
    return len(LOCAL_OFFICERS)
