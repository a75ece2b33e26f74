"""The directory of agencies and categories: data (seeded from `infra/directory.json`), not code.

Pure domain: the store reads it (`store.current_directory`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lapor.config import settings
from lapor.errors import ConfigurationError, FieldProblem
from lapor.statuses import LEVELS, AgencyLevel

if TYPE_CHECKING:
    from lapor.shapes import AgencyOut, CategoryOut


def webhook_url_problem(url: str, allow_http: bool) -> str | None:
    """Why a webhook URL cannot be used, or None. Only https:// (plain http only where `allow_http`: the
    local stack), with a host name."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return "is not a URL"
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        return "must start with https://"
    if not parts.hostname or not port_ok:
        return "has no host"
    return None


# The levels that coordinate the agencies below them (SP4N LAPOR!'s admin koordinator): a report is listed in
# one index per level, keyed by its agency's coordinator at that level (`Directory.coordinators`), so that a
# coordinator's inbox is one query whatever the number of offices below it.
COORDINATING_LEVELS: tuple[AgencyLevel, ...] = ("national", "province", "regency")


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    parent_id: str | None
    level: AgencyLevel
    region_code: str | None
    email: str | None = None
    webhook_url: str | None = None

    def stored(self) -> dict[str, Any]:
        """The agency as the directory's store and file hold it (absent optional fields left out)."""
        extra = {"email": self.email, "webhook_url": self.webhook_url}
        return {**self.public(), **{k: v for k, v in extra.items() if v is not None}}

    def public(self) -> AgencyOut:
        """What `GET /agencies` shows: no contact address, no webhook."""
        return {
            "id": self.id,
            "name": self.name,
            "parent_id": self.parent_id,
            "level": self.level,
            "region_code": self.region_code,
        }


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    default_agency_id: str

    def public(self) -> CategoryOut:
        return {"code": self.code, "name": self.name, "default_agency_id": self.default_agency_id}


@dataclass(frozen=True)
class Directory:
    agencies: dict[str, Agency]
    categories: dict[str, Category]

    def agency(self, agency_id: str) -> Agency | None:
        return self.agencies.get(agency_id)

    def category(self, code: str) -> Category | None:
        return self.categories.get(code)

    def ancestors(self, agency_id: str) -> list[Agency]:
        """The chain above an agency, nearest first (the escalation path)."""
        chain: list[Agency] = []
        current = self.agencies.get(agency_id)
        while current is not None and current.parent_id:
            parent = self.agencies.get(current.parent_id)
            if parent is None or parent in chain:
                break
            chain.append(parent)
            current = parent
        return chain

    def coordinators(self, agency_id: str) -> dict[str, str]:
        """The agency and those above it at each coordinating level (`COORDINATING_LEVELS`, the nearest one
        of each level): the inboxes a report of this agency shows in (`store` keys one index per level)."""
        found: dict[str, str] = {}
        current = self.agencies.get(agency_id)
        for agency in [current, *self.ancestors(agency_id)] if current else []:
            if agency.level in COORDINATING_LEVELS and agency.level not in found:
                found[agency.level] = agency.id
        return found

    def scope_served_by_level(self, agency_id: str) -> bool:
        """Whether the coordinators' index of this agency's level holds exactly its scope (itself and every
        agency below it): no agency below it shares its level, which would take its reports' key."""
        agency = self.agencies.get(agency_id)
        if agency is None or agency.level not in COORDINATING_LEVELS:
            return False
        return all(self.agencies[below].level != agency.level for below in self.descendants(agency_id))

    def descendants(self, agency_id: str) -> set[str]:
        """Every agency below `agency_id` (not itself)."""
        below: set[str] = set()
        frontier = [agency_id]
        while frontier:
            parent = frontier.pop()
            for agency in self.agencies.values():
                if agency.parent_id == parent and agency.id not in below:
                    below.add(agency.id)
                    frontier.append(agency.id)
        return below

    def agency_problems(self, agency: Agency) -> list[FieldProblem]:
        """What would be wrong with the directory once `agency` (new, or changed) is put in: its parent unknown,
        itself or below it (a cycle), or not at a higher level; an agency below it not at a lower level; its
        webhook URL not allowed. Each problem at its field of the request body."""
        problems: list[FieldProblem] = []
        rank = LEVELS.index(agency.level)
        parent = self.agencies.get(agency.parent_id) if agency.parent_id else None
        if agency.parent_id and parent is None:
            problems.append(FieldProblem(("body", "parent_id"), "is not an agency of the directory"))
        elif parent is not None and (parent.id == agency.id or parent.id in self.descendants(agency.id)):
            problems.append(FieldProblem(("body", "parent_id"), f"{parent.id} is below {agency.id}: that is a cycle"))
        elif parent is not None and LEVELS.index(parent.level) >= rank:
            problems.append(
                FieldProblem(("body", "parent_id"), f"{parent.id} is at level {parent.level}, not above {agency.level}")
            )
        children = sorted(a.id for a in self.agencies.values() if a.parent_id == agency.id and a.id != agency.id)
        too_high = [c for c in children if LEVELS.index(self.agencies[c].level) <= rank]
        if too_high:
            problems.append(FieldProblem(("body", "level"), f"{', '.join(too_high)} below it would not be lower"))
        if agency.webhook_url is not None:
            problem = webhook_url_problem(agency.webhook_url, settings().allow_http_webhooks)
            if problem is not None:
                problems.append(FieldProblem(("body", "webhook_url"), problem))
        return problems

    def removal_problems(self, agency_id: str) -> list[str]:
        """Why an agency cannot be removed from the directory (what still depends on it), or nothing."""
        children = sorted(a.id for a in self.agencies.values() if a.parent_id == agency_id)
        categories = sorted(c.code for c in self.categories.values() if c.default_agency_id == agency_id)
        problems = [f"has agencies below it: {', '.join(children)}"] if children else []
        if categories:
            problems.append(f"is the default agency of categories {', '.join(categories)}")
        return problems

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Directory:
        """Build and check a directory (unknown parents, default agencies and levels, and webhook URLs that
        are not https:// (except on the local stack) fail loudly)."""
        agencies = {
            a["id"]: Agency(
                id=a["id"],
                name=a["name"],
                parent_id=a.get("parent_id"),
                level=a["level"],
                region_code=a.get("region_code"),
                email=a.get("email"),
                webhook_url=a.get("webhook_url"),
            )
            for a in data.get("agencies", [])
        }
        categories = {
            c["code"]: Category(code=c["code"], name=c["name"], default_agency_id=c["default_agency_id"])
            for c in data.get("categories", [])
        }
        allow_http = settings().allow_http_webhooks
        for agency in agencies.values():
            if agency.webhook_url is not None:
                problem = webhook_url_problem(agency.webhook_url, allow_http)
                if problem is not None:
                    raise ConfigurationError(f"agency {agency.id}: webhook_url {problem}")
            if agency.parent_id is not None and agency.parent_id not in agencies:
                raise ConfigurationError(f"agency {agency.id} has unknown parent {agency.parent_id}")
            if agency.level not in LEVELS:
                raise ConfigurationError(f"agency {agency.id} has unknown level {agency.level}")
        for category in categories.values():
            if category.default_agency_id not in agencies:
                raise ConfigurationError(f"category {category.code} has unknown agency {category.default_agency_id}")
        return cls(agencies=agencies, categories=categories)

    @classmethod
    def from_file(cls, path: Path) -> Directory:
        return cls.from_data(json.loads(path.read_text(encoding="utf-8")))

    def stored(self) -> dict[str, Any]:
        """The directory in `infra/directory.json`'s format (what `from_data` reads)."""
        return {
            "agencies": [agency.stored() for agency in self.agencies.values()],
            "categories": [dict(category.public()) for category in self.categories.values()],
        }
