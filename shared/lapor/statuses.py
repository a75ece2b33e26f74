"""A report's statuses and the groups the rules read, its kinds and channels, the agencies' levels, each
written once (DOMAIN.md, "Lifecycle").

No imports beyond `typing`: the public lookup, the store and the pydantic models all read this module.
Which status an action moves a report from and to is `lifecycle.TRANSITIONS`.
"""

from __future__ import annotations

from typing import Literal, get_args

ReportStatus = Literal["submitted", "verified", "in_progress", "responded", "closed", "rejected"]
ReportKind = Literal["complaint", "aspiration", "information_request"]
Channel = Literal["web", "qr", "api", "open311", "whatsapp"]
AgencyLevel = Literal["national", "province", "regency", "office"]
# An agency user's role, lowest first: each can do what the one before can, and more (DOMAIN.md, "Roles"): an
# officer acts for one agency, a dispatcher also for those below it, an admin also manages officers and the directory.
OfficerRole = Literal["officer", "dispatcher", "admin"]
ROLES: tuple[OfficerRole, ...] = get_args(OfficerRole)
LEVELS: tuple[AgencyLevel, ...] = get_args(AgencyLevel)
STATUSES: tuple[ReportStatus, ...] = get_args(ReportStatus)
CLOSED: tuple[ReportStatus, ...] = ("closed", "rejected")  # listed as closed; no messages, photos or deadlines
OPEN = tuple(s for s in STATUSES if s not in CLOSED)  # counted as open; the reporter can still write
AGENCY_OWES = tuple(s for s in OPEN if s != "responded")  # the agency owes the next step: its deadline runs
RATABLE: tuple[ReportStatus, ...] = ("responded", "closed")  # the reporter may rate the response
# A rejected report shows the public its status, dates and the rejection reason only: no title, description,
# location or photo (it may name a third party; issue 23). `lapor.views.public_content` reads this.
CONTENT_WITHHELD: tuple[ReportStatus, ...] = ("rejected",)
# Photos show publicly only once the agency has verified the report: filing must not be a way to publish.
PHOTOS_PUBLIC = tuple(s for s in STATUSES if s != "submitted" and s not in CONTENT_WITHHELD)
