"""Use cases of the regency's administrator (role `admin`): officers and the directory, within their scope.

An administrator acts on their own agency and every agency below it, as a dispatcher reads them; nobody
else reaches these use cases (403, decided here from the token, whatever the console shows). Every action is
first recorded in the administrators' audit trail (kind `attempt`, refused ones too); every change made is
recorded with who, when, before and after (kind `change`: the "Riwayat pengaturan" page), a directory change
in the same transaction as the change itself.

Officers are users of the Cognito pool (`lapor.userpool`). An ID token lives an hour whatever happens to its
account, so disabling someone, signing them out everywhere, resetting their MFA or changing their agency or
role also refuses every token issued until then (`store.refuse_tokens_before`, read on every agency request).

The directory is read through `store.current_directory`, cached for `directory_cache_seconds` (300 s by
default) per warm function: a change reaches every function within that time, the administrator's own at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lapor import store, userpool
from lapor.agency import Officer
from lapor.config import settings
from lapor.directory import Agency, Category, Directory
from lapor.errors import Conflict, FieldProblem, Forbidden, NotFound, ValidationFailed
from lapor.models import SLUG_PATTERN
from lapor.statuses import OPEN, ROLES, OfficerRole
from lapor.timefmt import to_public, to_store, utcnow

if TYPE_CHECKING:
    from lapor.models import AgencyInput, CategoryInput, OfficerInvite, OfficerUpdate
    from lapor.shapes import (
        AdminAgency,
        AdminCategory,
        AdminDirectory,
        OfficerAccount,
        OfficerAccounts,
        SettingsHistory,
    )

HISTORY_SIZE = 200  # changes the settings history shows, newest first
REGENCY = "regency"


def _admin(claims: dict[str, str]) -> tuple[Officer, Directory]:
    directory = store.current_directory()
    officer = Officer.from_claims(claims, directory)
    if officer.role != "admin":
        raise Forbidden("Only an administrator may change settings.")
    return officer, directory


def _attempt(admin: Officer, action: str, target: str, **details: Any) -> None:
    """Recorded before anything is done: no administrator's action goes unrecorded, a refused one neither."""
    admin.record(
        {"tracking_id": store.SETTINGS_AUDIT}, "admin", kind="attempt", action=action, target=target, **details
    )


def _change(admin: Officer, action: str, target: str, before: Any, after: Any) -> dict[str, Any]:
    """The trail's entry for a change made: who, when, before and after."""
    return {
        "at": to_store(utcnow()),
        "officer_sub": admin.sub,
        "officer_username": admin.username,
        "officer_agency_id": admin.agency_id,
        "role": admin.role,
        "access": "admin",
        "kind": "change",
        "action": action,
        "target": target,
        "before": before,
        "after": after,
    }


# ---------------------------------------------------------------- officers


def _account(user: userpool.PoolUser, mfa: bool) -> OfficerAccount:
    time_zone = settings().time_zone
    role: OfficerRole = next((r for r in ROLES if r == user.role), "officer")  # unknown: the lowest
    return {
        "id": user.username,
        "email": user.email,
        "name": user.name,
        "agency_id": user.agency_id,
        "role": role,
        "enabled": user.enabled,
        "status": user.status,
        "mfa_enabled": mfa,
        "created_at": to_public(to_store(user.created_at), time_zone) or "",
        "updated_at": to_public(to_store(user.updated_at), time_zone) or "",
    }


def _summary(user: userpool.PoolUser) -> dict[str, Any]:
    return {"email": user.email, "agency_id": user.agency_id, "role": user.role, "enabled": user.enabled}


def list_officers(claims: dict[str, str]) -> OfficerAccounts:
    """The pool's users whose agency is in the administrator's scope, by agency then email."""
    admin, directory = _admin(claims)
    scope = admin.scope(directory)
    users = sorted((u for u in userpool.list_users() if u.agency_id in scope), key=lambda u: (u.agency_id, u.email))
    items = []
    for user in users:
        found = userpool.get_user(user.username)  # ListUsers does not tell MFA: one AdminGetUser per officer
        items.append(_account(*found) if found else _account(user, False))
    return {"items": items}


def _grantable(admin: Officer, directory: Directory, agency_id: str, role: str) -> None:
    """An administrator grants no agency outside their scope and no role above their own."""
    if directory.agency(agency_id) is None:
        raise ValidationFailed([FieldProblem(("body", "agency_id"), "is not an agency of the directory")])
    if agency_id not in admin.scope(directory):
        raise Forbidden("That agency is outside your scope.")
    if ROLES.index(role) > ROLES.index(admin.role):
        raise Forbidden("No one can be given a role above your own.")


def invite_officer(claims: dict[str, str], body: OfficerInvite) -> OfficerAccount:
    admin, directory = _admin(claims)
    target = f"officer:{body.email}"
    _attempt(admin, "invite", target, agency_id=body.agency_id, new_role=body.role)
    _grantable(admin, directory, body.agency_id, body.role)
    try:
        user = userpool.create_user(body.email, body.name, body.agency_id, body.role)
    except userpool.UserExists:
        raise Conflict("An account with this email exists already.") from None
    store.append_audit(store.SETTINGS_AUDIT, to_store(utcnow()), _change(admin, "invite", target, None, _summary(user)))
    return _account(user, False)


def _officer_in_scope(admin: Officer, directory: Directory, officer_id: str) -> userpool.PoolUser:
    found = userpool.get_user(officer_id) if officer_id else None
    if found is None:
        raise NotFound("No officer has this id.")
    user = found[0]
    if user.agency_id not in admin.scope(directory):
        raise Forbidden("That officer is outside your scope.")
    return user


def _regency_of(directory: Directory, agency_id: str) -> str | None:
    """The regency an agency belongs to (itself, or the nearest regency above it)."""
    agency = directory.agency(agency_id)
    chain = [agency, *directory.ancestors(agency_id)] if agency else []
    return next((a.id for a in chain if a.level == REGENCY), None)


def _keeps_an_admin(directory: Directory, user: userpool.PoolUser, after: Mapping[str, Any]) -> None:
    """A regency's administrator may not be removed (disabled, moved or given another role) if no other enabled
    administrator of that regency's own agency would be left: nobody could then run it without AWS access."""
    regency = _regency_of(directory, user.agency_id)
    if not (user.enabled and user.role == "admin" and regency == user.agency_id):
        return
    if after["enabled"] and after["role"] == "admin" and after["agency_id"] == user.agency_id:
        return
    others = [
        u
        for u in userpool.list_users()
        if u.username != user.username and u.enabled and u.role == "admin" and u.agency_id == regency
    ]
    if not others:
        raise Conflict(f"This is the last administrator of {regency}: invite or enable another one first.")


def _end_sessions(user: userpool.PoolUser) -> None:
    """Refresh tokens revoked by Cognito; ID tokens issued until now refused by every agency function."""
    userpool.sign_out_everywhere(user.username)
    store.refuse_tokens_before(user.sub, int(time.time()))


def update_officer(claims: dict[str, str], officer_id: str, body: OfficerUpdate) -> OfficerAccount:
    """Change an officer's agency or role, or disable or enable them."""
    admin, directory = _admin(claims)
    user = _officer_in_scope(admin, directory, officer_id)
    target = f"officer:{user.email}"
    before = _summary(user)
    after = {
        **before,
        **{
            k: v
            for k, v in (("agency_id", body.agency_id), ("role", body.role), ("enabled", body.enabled))
            if v is not None
        },
    }
    _attempt(admin, "update_officer", target, requested={k: after[k] for k in after if after[k] != before[k]})
    if after["agency_id"] != before["agency_id"] or after["role"] != before["role"]:
        _grantable(admin, directory, after["agency_id"], after["role"])
    _keeps_an_admin(directory, user, after)
    if after["agency_id"] != before["agency_id"] or after["role"] != before["role"]:
        userpool.update_user(user.username, after["agency_id"], after["role"])
        store.move_rostered_officer(user.sub, after["agency_id"], after["role"])
    if after["enabled"] != before["enabled"]:
        userpool.set_enabled(user.username, after["enabled"])
    # Less (or other) access than the tokens in hand carry: those tokens end now.
    if not after["enabled"] or after["agency_id"] != before["agency_id"] or after["role"] != before["role"]:
        _end_sessions(user)
    if after != before:
        entry = _change(admin, "update_officer", target, before, after)
        store.append_audit(store.SETTINGS_AUDIT, entry["at"], entry)
    found = userpool.get_user(user.username)
    assert found is not None
    return _account(*found)


def sign_out_officer(claims: dict[str, str], officer_id: str) -> OfficerAccount:
    """End every session of an officer (a lost phone, a shared computer)."""
    return _session_action(claims, officer_id, "sign_out", reset=False)


def reset_officer_mfa(claims: dict[str, str], officer_id: str) -> OfficerAccount:
    """Forget an officer's authenticator app (a new phone) and end their sessions: they set up MFA again."""
    return _session_action(claims, officer_id, "reset_mfa", reset=True)


def _session_action(claims: dict[str, str], officer_id: str, action: str, reset: bool) -> OfficerAccount:
    admin, directory = _admin(claims)
    user = _officer_in_scope(admin, directory, officer_id)
    target = f"officer:{user.email}"
    _attempt(admin, action, target)
    if reset:
        userpool.reset_mfa(user.username)
    _end_sessions(user)
    entry = _change(admin, action, target, None, None)
    store.append_audit(store.SETTINGS_AUDIT, entry["at"], entry)
    found = userpool.get_user(user.username)
    assert found is not None
    return _account(*found)


# ---------------------------------------------------------------- the directory


def directory_for_admin(claims: dict[str, str]) -> AdminDirectory:
    """The agencies of the administrator's scope with contact addresses, webhooks and versions, and the
    categories they receive by default (read fresh, not from the cache)."""
    admin, directory = _admin(claims)
    scope = admin.scope(directory)
    agencies: list[AdminAgency] = []
    categories: list[AdminCategory] = []
    for entry in store.directory_entries():
        data, version = entry["data"], entry["version"]
        if entry["kind"] == "agency" and data["id"] in scope:
            agencies.append(
                {
                    "id": data["id"],
                    "name": data["name"],
                    "parent_id": data.get("parent_id"),
                    "level": data["level"],
                    "region_code": data.get("region_code"),
                    "email": data.get("email"),
                    "webhook_url": data.get("webhook_url"),
                    "version": version,
                }
            )
        elif entry["kind"] == "category" and data["default_agency_id"] in scope:
            categories.append({**data, "version": version})  # type: ignore[typeddict-item]
    agencies.sort(key=lambda a: (a["id"] != admin.agency_id, a["parent_id"] or "", a["id"]))
    categories.sort(key=lambda c: c["code"])
    return {"agencies": agencies, "categories": categories}


def _versions() -> dict[tuple[str, str], tuple[dict[str, Any], int]]:
    found = {}
    for entry in store.directory_entries():
        key = entry["data"]["id"] if entry["kind"] == "agency" else entry["data"]["code"]
        found[(entry["kind"], key)] = (entry["data"], entry["version"])
    return found


def _checked_key(name: str, value: str) -> str:
    if not re.fullmatch(SLUG_PATTERN, value):
        raise ValidationFailed([FieldProblem(("path", name), "lower-case letters, digits and dashes, at most 64")])
    return value


def _commit(
    admin: Officer,
    kind: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    version: int | None,
) -> None:
    action = ("create_" if before is None else "delete_" if after is None else "update_") + kind
    entry = _change(admin, action, f"{kind}:{key}", before, after)
    if not store.change_directory(kind, key, after, version, entry):
        raise Conflict(f"The {kind} changed meanwhile (or was created): reload it and try again.")
    store.forget_directory()  # this function's next request sees the change at once


def _current(kind: str, key: str, if_match: int | None, new: bool = True) -> tuple[dict[str, Any] | None, int]:
    """The stored entry and its version; `if_match` must name that version (absent: the entry must be `new`, or
    for a removal, whatever version it is at)."""
    data, version = _versions().get((kind, key), (None, 0))
    if data is None and (if_match is not None or not new):
        raise NotFound(f"No {kind} has this id.")
    if data is not None and if_match is None and new:
        raise Conflict(f"The {kind} exists: send its version in If-Match to change it.")
    if data is not None and if_match is not None and if_match != version:
        raise Conflict(f"The {kind} is at version {version}; reload it and try again.")
    return data, version


def put_agency(claims: dict[str, str], agency_id: str, body: AgencyInput, if_match: int | None) -> AdminDirectory:
    """Create an agency (no If-Match) below one of the scope, or change one of the scope (If-Match: its version)."""
    admin, directory = _admin(claims)
    _checked_key("agency_id", agency_id)
    _attempt(admin, "put_agency", f"agency:{agency_id}", version=if_match)
    before, version = _current("agency", agency_id, if_match)
    scope = admin.scope(directory)
    agency = Agency(agency_id, body.name, body.parent_id, body.level, body.region_code, body.email, body.webhook_url)
    if body.parent_id is not None and directory.agency(body.parent_id) is None:
        raise ValidationFailed([FieldProblem(("body", "parent_id"), "is not an agency of the directory")])
    if before is None and body.parent_id not in scope:
        raise Forbidden("A new agency must be below one of your scope.")
    if before is not None and agency_id not in scope:
        raise Forbidden("That agency is outside your scope.")
    moved = before is not None and (before.get("parent_id"), before["level"]) != (body.parent_id, body.level)
    if agency_id == admin.agency_id and moved:
        raise Forbidden("Your own agency's place in the hierarchy is changed by an administrator above it.")
    if before is not None and moved and body.parent_id not in scope:
        raise Forbidden("The new parent is outside your scope.")
    problems = directory.agency_problems(agency)
    if problems:
        raise ValidationFailed(problems)
    _commit(admin, "agency", agency_id, before, agency.stored(), version if before is not None else None)
    return directory_for_admin(claims)


def delete_agency(claims: dict[str, str], agency_id: str, if_match: int | None) -> None:
    """Remove an agency of the scope that has no agency below it, no category and no open report."""
    admin, directory = _admin(claims)
    _attempt(admin, "delete_agency", f"agency:{agency_id}", version=if_match)
    if directory.agency(agency_id) is None:
        raise NotFound("No agency has this id.")
    if agency_id not in admin.scope(directory) or agency_id == admin.agency_id:
        raise Forbidden("That agency is outside your scope (or is your own).")
    before, version = _current("agency", agency_id, if_match, new=False)
    problems = directory.removal_problems(agency_id)
    if any(store.inbox_page(agency_id, status, None, 1) for status in OPEN):
        problems.append("has open reports: transfer them first")
    if problems:
        raise ValidationFailed([FieldProblem(("path", "agency_id"), p) for p in problems])
    _commit(admin, "agency", agency_id, before, None, version)


def put_category(claims: dict[str, str], code: str, body: CategoryInput, if_match: int | None) -> AdminDirectory:
    """Create or change a category whose default agency is (and stays) in the scope."""
    admin, directory = _admin(claims)
    _checked_key("code", code)
    _attempt(admin, "put_category", f"category:{code}", version=if_match)
    before, version = _current("category", code, if_match)
    if directory.agency(body.default_agency_id) is None:
        raise ValidationFailed([FieldProblem(("body", "default_agency_id"), "is not an agency of the directory")])
    scope = admin.scope(directory)
    if body.default_agency_id not in scope or (before is not None and before["default_agency_id"] not in scope):
        raise Forbidden("That category's agency is outside your scope.")
    after = dict(Category(code, body.name, body.default_agency_id).public())
    _commit(admin, "category", code, before, after, version if before is not None else None)
    return directory_for_admin(claims)


def delete_category(claims: dict[str, str], code: str, if_match: int | None) -> None:
    admin, directory = _admin(claims)
    _attempt(admin, "delete_category", f"category:{code}", version=if_match)
    category = directory.category(code)
    if category is None:
        raise NotFound("No category has this code.")
    if category.default_agency_id not in admin.scope(directory):
        raise Forbidden("That category's agency is outside your scope.")
    before, version = _current("category", code, if_match, new=False)
    _commit(admin, "category", code, before, None, version)


# ---------------------------------------------------------------- the settings history


def settings_history(claims: dict[str, str]) -> SettingsHistory:
    """Changes made by administrators whose agency is in the caller's scope, newest first."""
    admin, directory = _admin(claims)
    scope = admin.scope(directory)
    time_zone = settings().time_zone
    items = [
        {
            "at": to_public(entry["at"], time_zone) or "",
            "by": entry.get("officer_username", ""),
            "by_agency_id": entry.get("officer_agency_id", ""),
            "action": entry["action"],
            "target": entry["target"],
            "before": entry.get("before"),
            "after": entry.get("after"),
        }
        for entry in store.settings_trail(HISTORY_SIZE * 4)
        if entry.get("kind") == "change" and entry.get("officer_agency_id") in scope
    ]
    return {"items": items[:HISTORY_SIZE]}  # type: ignore[typeddict-item]
