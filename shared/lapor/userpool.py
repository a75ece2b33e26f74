"""The agency officers' user pool (Cognito): the one module that calls it.

An officer is a user whose `custom:agency_id` and `custom:role` say where and what they may act (the ID token
carries both). Users are named by their Cognito username: with email as the sign-in attribute, a UUID that
never changes (their `sub`), whatever their email becomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lapor.aws import client
from lapor.config import settings
from lapor.errors import ConfigurationError

AGENCY_ATTRIBUTE, ROLE_ATTRIBUTE = "custom:agency_id", "custom:role"
PAGE = 60  # ListUsers' largest page


class UserExists(Exception):
    """An invitation for an email address the pool already holds."""


@dataclass(frozen=True)
class PoolUser:
    username: str
    sub: str
    email: str
    name: str
    agency_id: str
    role: str
    enabled: bool
    status: str  # Cognito's UserStatus: FORCE_CHANGE_PASSWORD until the invitation is taken up, then CONFIRMED
    created_at: datetime
    updated_at: datetime


def _pool() -> str:
    pool = settings().user_pool_id
    if not pool:
        raise ConfigurationError("USER_POOL_ID is not set")
    return pool


def _user(found: dict[str, Any], attributes_key: str = "Attributes") -> PoolUser:
    attributes = {a["Name"]: a["Value"] for a in found.get(attributes_key, [])}
    return PoolUser(
        username=found["Username"],
        sub=attributes.get("sub", found["Username"]),
        email=attributes.get("email", ""),
        name=attributes.get("name", ""),
        agency_id=attributes.get(AGENCY_ATTRIBUTE, ""),
        role=attributes.get(ROLE_ATTRIBUTE, "officer"),
        enabled=bool(found.get("Enabled", True)),
        status=str(found.get("UserStatus", "")),
        created_at=found["UserCreateDate"],
        updated_at=found["UserLastModifiedDate"],
    )


def list_users() -> list[PoolUser]:
    """Every user of the pool (a regency's officers: tens, a page or two of ListUsers)."""
    users: list[PoolUser] = []
    request: dict[str, Any] = {"UserPoolId": _pool(), "Limit": PAGE}
    while True:
        page = client("cognito-idp").list_users(**request)
        users.extend(_user(found) for found in page.get("Users", []))
        if not page.get("PaginationToken"):
            return users
        request["PaginationToken"] = page["PaginationToken"]


def get_user(username: str) -> tuple[PoolUser, bool] | None:
    """One user and whether they set up MFA (an authenticator app), or None when there is no such user."""
    idp = client("cognito-idp")
    try:
        found = idp.admin_get_user(UserPoolId=_pool(), Username=username)
    except idp.exceptions.UserNotFoundException:
        return None
    return _user(found, "UserAttributes"), "SOFTWARE_TOKEN_MFA" in (found.get("UserMFASettingList") or [])


def create_user(email: str, name: str, agency_id: str, role: str) -> PoolUser:
    """Invite a user: Cognito emails them a temporary password; they set a password and MFA at first sign-in."""
    idp = client("cognito-idp")
    attributes = {
        "email": email,
        "email_verified": "true",  # the administrator vouches for a work address: the invitation goes there
        "name": name,
        AGENCY_ATTRIBUTE: agency_id,
        ROLE_ATTRIBUTE: role,
    }
    try:
        created = idp.admin_create_user(
            UserPoolId=_pool(),
            Username=email,
            UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
            DesiredDeliveryMediums=["EMAIL"],
        )
    except idp.exceptions.UsernameExistsException as exc:
        raise UserExists(email) from exc
    return _user(created["User"])


def update_user(username: str, agency_id: str, role: str) -> None:
    attributes = {AGENCY_ATTRIBUTE: agency_id, ROLE_ATTRIBUTE: role}
    client("cognito-idp").admin_update_user_attributes(
        UserPoolId=_pool(), Username=username, UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()]
    )


def set_enabled(username: str, enabled: bool) -> None:
    """Enable, or disable (Cognito then refuses their sign-in and their refresh tokens)."""
    idp = client("cognito-idp")
    (idp.admin_enable_user if enabled else idp.admin_disable_user)(UserPoolId=_pool(), Username=username)


def sign_out_everywhere(username: str) -> None:
    """Revoke every refresh token of the user (ID tokens already issued stay valid until they expire: the
    caller also refuses them, `store.refuse_tokens_before`)."""
    client("cognito-idp").admin_user_global_sign_out(UserPoolId=_pool(), Username=username)


def reset_mfa(username: str) -> None:
    """Forget the user's authenticator app: the pool requires MFA, so their next sign-in sets up a new one."""
    client("cognito-idp").admin_set_user_mfa_preference(
        UserPoolId=_pool(), Username=username, SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False}
    )
