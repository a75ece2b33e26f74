"""Open311 GeoReport v2: services are categories, service requests are reports.

The read side sees only what the public may see: confidential reports are never listed and answer 404
like a missing one, and nothing here ever holds reporter data (the public indexes and reads project
public attributes only). Filing a request is `lapor.reports.submit_report` itself, behind a partner's
api_key: the same rules, routing, deadlines, notification and idempotency as `POST /reports`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from lapor import store
from lapor.config import settings
from lapor.directory import Directory
from lapor.errors import FieldProblem, Forbidden, NotFound, PayloadTooLarge, ReportNotFound, ValidationFailed
from lapor.ids import parse_tracking_id
from lapor.nearby import WIDE_RADIUS_M, coordinate, find_nearby
from lapor.observability import count, logger
from lapor.statuses import CLOSED
from lapor.store import current_directory
from lapor.timefmt import from_store, to_public, to_store, utcnow
from lapor.views import public_content

if TYPE_CHECKING:
    from lapor import shapes

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")
MAX_LISTED = 1000
MAX_IDS = 100
MAX_RANGE = timedelta(days=90)
MAX_FORM_BYTES = 64 * 1024
TITLE_CHARS = 80
W3C_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")

KINDS = (
    ("complaint", "Pengaduan"),
    ("aspiration", "Aspirasi"),
    ("information_request", "Permintaan informasi"),
)
YES_NO = (("false", "Tidak"), ("true", "Ya"))
# The latest public status in words (status_notes), in Bahasa Indonesia like the rest of the public side. Not
# the latest message: texts are items of their own in the report's partition, which the public indexes do not
# hold, and the words must be the same whether a report is listed or read alone.
STATUS_WORDS = {
    "submitted": "Laporan diterima dan menunggu verifikasi instansi.",
    "verified": "Laporan diverifikasi dan sedang ditindaklanjuti.",
    "in_progress": "Laporan sedang ditindaklanjuti.",
    "responded": "Instansi sudah menanggapi laporan.",
    "closed": "Laporan selesai dan ditutup.",
    "rejected": "Laporan ditolak.",
}
IGNORED_FIELDS = ("device_id", "account_id", "address_id")  # identifiers: accepted for compatibility, never stored


# ---------------------------------------------------------------- formats and jurisdiction


def split_format(name: str) -> tuple[str, str]:
    """`"LPR-....json"` → (`"LPR-..."`, `"json"`); an unknown format is 404."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or not stem or fmt not in FORMATS:
        raise NotFound("Open311 answers in .json or .xml only.")
    return stem, fmt


def check_jurisdiction(value: str | None) -> None:
    """`jurisdiction_id` may be left out; when given it must be this deployment's own (else 404)."""
    if value is not None and value != settings().open311_jurisdiction_id:
        raise NotFound(f"This endpoint serves jurisdiction_id {settings().open311_jurisdiction_id} only.")


# ---------------------------------------------------------------- discovery and services


def discovery(base_url: str) -> shapes.Open311Discovery:
    """Service Discovery: this one production endpoint, in both formats."""
    return {
        "changeset": "2026-11-29T00:00:00Z",
        "contact": "Gunakan formulir di halaman utama atau hubungi pengelola SP4N LAPOR! daerah ini.",
        "key_service": "Kunci api_key diterbitkan oleh operator untuk setiap mitra (lapor open311-key create).",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": "2026-11-29T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def services(directory: Directory | None = None) -> list[shapes.Open311Service]:
    """One service per category, its group the agency that receives its reports."""
    directory = directory or current_directory()
    found: list[shapes.Open311Service] = []
    for category in sorted(directory.categories.values(), key=lambda c: c.code):
        agency = directory.agency(category.default_agency_id)
        group = agency.name if agency else category.default_agency_id
        found.append(
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": f"Pengaduan, aspirasi atau permintaan informasi tentang {category.name}; "
                f"diteruskan ke {group}.",
                "metadata": True,
                "type": "realtime",
                "keywords": category.code.replace("-", ", "),
                "group": group,
            }
        )
    return found


def _list_attribute(
    code: str, order: int, description: str, values: tuple[tuple[str, str], ...]
) -> shapes.Open311Attribute:
    return {
        "variable": True,
        "code": code,
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": None,
        "order": order,
        "description": description,
        "values": [{"key": key, "name": name} for key, name in values],
    }


def service_definition(code: str, directory: Directory | None = None) -> shapes.Open311ServiceDefinition:
    """The attributes a request of this service may carry (attribute[<code>] in the POST form)."""
    directory = directory or current_directory()
    if directory.category(code) is None:
        raise NotFound("No service has this service_code.")
    return {
        "service_code": code,
        "attributes": [
            _list_attribute("kind", 1, "Jenis laporan (bawaan: pengaduan)", KINDS),
            {
                "variable": True,
                "code": "title",
                "datatype": "string",
                "required": False,
                "datatype_description": "10 sampai 150 karakter; bawaan: kata-kata pertama deskripsi",
                "order": 2,
                "description": "Judul laporan",
            },
            _list_attribute(
                "anonymous",
                3,
                "Anonim: tidak ada nama atau kontak yang disimpan (tanpa email, nama dan telepon selalu anonim)",
                YES_NO,
            ),
            _list_attribute(
                "confidential",
                4,
                "Rahasia: isi laporan tidak pernah ditampilkan untuk umum dan tidak tampil di daftar Open311",
                YES_NO,
            ),
        ],
    }


# ---------------------------------------------------------------- service requests (read)


def request_view(item: Mapping[str, Any], directory: Directory) -> shapes.Open311ServiceRequest:
    """One public report as an Open311 service request: no reporter data exists in it to show. Description
    and location are what the public view shows (`lapor.views.public_content`): none for a rejected report,
    lat and long rounded."""
    tz = settings().time_zone
    category = directory.category(str(item["category"]))
    content = public_content(item)
    location = content.get("location") or {}
    return {
        "service_request_id": item["tracking_id"],
        "status": "closed" if item["status"] in CLOSED else "open",
        "status_notes": STATUS_WORDS.get(str(item["status"]), ""),
        "service_name": category.name if category else item["category"],
        "service_code": item["category"],
        "description": content.get("description"),
        "agency_responsible": item.get("agency_name"),
        "service_notice": None,
        "requested_datetime": to_public(item["submitted_at"], tz),
        "updated_datetime": to_public(item.get("updated_at"), tz),
        "expected_datetime": to_public(item.get("due_at"), tz),
        "address": location.get("address"),
        "address_id": None,
        "zipcode": None,
        "lat": location.get("lat"),
        "long": location.get("lon"),
        "media_url": None,
    }


def get_request(raw_id: str) -> list[shapes.Open311ServiceRequest]:
    """`GET requests/{id}`: an array of one; unknown, malformed and confidential alike are 404."""
    item = store.get_report(parse_tracking_id(raw_id), store.OPEN311_ATTRIBUTES)
    if item is None or item.get("confidential"):
        raise ReportNotFound()
    return [request_view(item, current_directory())]


def _bad_query(name: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldProblem(("query", name), message)], "Query is not valid")


def _moment(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None:
        return None
    # RFC 3339 exactly (what the spec's "W3C format" and the OpenAPI date-time mean), not all of ISO 8601.
    match = W3C_DATETIME.fullmatch(raw)
    try:
        if match is None:
            raise ValueError(raw)
        date, time, fraction, offset = match.groups()
        return from_store(f"{date}T{time}{(fraction or '')[:7]}{offset.upper()}")
    except ValueError:
        raise _bad_query(name, "must be a W3C date-time with an offset, e.g. 2026-11-01T00:00:00+07:00") from None


def _choices(query: Mapping[str, str], name: str, allowed: Any) -> list[str] | None:
    raw = query.get(name)
    if raw is None:
        return None
    chosen = list(dict.fromkeys(raw.split(",")))
    unknown = [part for part in chosen if part not in allowed]
    if unknown or not chosen:
        raise _bad_query(name, f"unknown value {(unknown or [''])[0]!r}")
    return chosen


def _near(query: Mapping[str, str], states: list[str]) -> tuple[float, float, int] | None:
    """`lat`, `long` and `radius` (metres, default and at most `WIDE_RADIUS_M`), or None when no point is given."""
    if "lat" not in query and "long" not in query:
        if "radius" in query:
            raise _bad_query("radius", "only with lat and long")
        return None
    problems: list[FieldProblem] = []
    lat = coordinate(query.get("lat"), "lat", 90, problems)
    lon = coordinate(query.get("long"), "long", 180, problems)
    radius = query.get("radius", str(WIDE_RADIUS_M))
    if not radius.isdigit() or not 1 <= int(radius) <= WIDE_RADIUS_M:
        problems.append(FieldProblem(("query", "radius"), f"must be whole metres from 1 to {WIDE_RADIUS_M}"))
    if "open" not in states:
        problems.append(FieldProblem(("query", "status"), "near a point only open requests are listed"))
    if problems:
        raise ValidationFailed(problems, "Query is not valid")
    return lat, lon, int(radius)


def find_requests(
    query: Mapping[str, str], now: datetime | None = None, read: store.ReadCount | None = None
) -> list[shapes.Open311ServiceRequest]:
    """`GET requests`: newest first, at most 1,000, from the public indexes only (never a scan).

    `service_request_id` (comma-separated, at most 100) overrides every other filter, as the spec says.
    Otherwise `service_code` and `status` (comma-separated), `start_date` and `end_date` (at most 90 days
    apart; by default the last 90 days).
    """
    directory = current_directory()
    # Every parameter is checked, even those service_request_id overrides: a bad query is always a 400.
    codes = _choices(query, "service_code", directory.categories)
    states = _choices(query, "status", ("open", "closed")) or ["open", "closed"]
    start, end = _moment(query, "start_date"), _moment(query, "end_date")
    try:
        if start is None:
            end = end or now or utcnow()
            start = end - MAX_RANGE
        end = end or start + MAX_RANGE
        first, last = to_store(start), to_store(end)
    except (OverflowError, ValueError):
        raise _bad_query("start_date", "is out of range") from None
    if end < start:
        raise _bad_query("end_date", "must not be before start_date")
    if end - start > MAX_RANGE:
        raise _bad_query("end_date", f"may be at most {MAX_RANGE.days} days after start_date")
    near = _near(query, states)
    ids = query.get("service_request_id")
    if ids is not None:
        wanted = [part for part in ids.split(",") if part]
        if not wanted or len(wanted) > MAX_IDS:
            raise _bad_query("service_request_id", f"give 1 to {MAX_IDS} comma-separated IDs")
        canonical = []
        for raw in wanted:
            try:
                canonical.append(parse_tracking_id(raw))
            except ReportNotFound:
                continue  # a malformed ID is simply not found, as in requests/{id}
        items = [i for i in store.get_public_reports(canonical) if not i.get("confidential")]
        items.sort(key=lambda i: (str(i["submitted_at"]), str(i["tracking_id"])), reverse=True)
        return [request_view(item, directory) for item in items]
    if near is not None:
        categories: list[str | None] = [*codes] if codes else [None]
        counted = read or store.ReadCount()
        found = [pair for code in categories for pair in find_nearby(*near, code, counted, since=first)]
        found.sort(key=lambda pair: (pair[0], str(pair[1]["tracking_id"])))
        return [request_view(item, directory) for _, item in found if item["submitted_at"] <= last][:MAX_LISTED]
    index, partitions = store.public_partitions(codes, states)
    items = store.public_reports(index, partitions, first, last, MAX_LISTED, read)
    return [request_view(item, directory) for item in items]


# ---------------------------------------------------------------- service requests (filing)


def _form(body: str | None) -> dict[str, str]:
    """The form-encoded body: each field of `Open311RequestForm` at most once, any other field refused (but
    see IGNORED_FIELDS)."""
    from lapor.models import Open311RequestForm

    known = {field.alias or name for name, field in Open311RequestForm.model_fields.items()}
    text = body or ""
    if len(text.encode("utf-8")) > MAX_FORM_BYTES:
        raise PayloadTooLarge()
    problems = []
    fields: dict[str, str] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            [FieldProblem(("body",), "send the fields form-encoded (application/x-www-form-urlencoded)")],
            "Request body is not valid",
        ) from None
    for name, value in pairs:
        if name in fields:
            problems.append(FieldProblem(("body", name), "is given more than once"))
        elif name in IGNORED_FIELDS:
            continue
        elif name == "media_url":
            problems.append(FieldProblem(("body", name), "photos cannot be sent through Open311 here"))
        elif name not in known:
            problems.append(FieldProblem(("body", name), "is not a field of this endpoint"))
        else:
            fields[name] = value
    if problems:
        raise ValidationFailed(problems, "Request body is not valid")
    return fields


def key_hash(api_key: str) -> str:
    """The stored form of a partner key. Keys carry 192 random bits: a fast hash is enough."""
    return hashlib.sha256(f"lapor-open311-key:{api_key}".encode()).hexdigest()


def _authorize(api_key: str | None) -> tuple[str, str]:
    """The partner key's id and hash, its use counted; Forbidden when it is missing, unknown or revoked."""
    hashed = key_hash(api_key) if api_key and len(api_key) <= 200 else None
    key_id = store.use_partner_key(hashed, to_store(utcnow())) if hashed else None
    if hashed is None or key_id is None:
        raise Forbidden("A valid api_key is required to file a service request.")
    return key_id, hashed


def _flag(fields: Mapping[str, str], name: str, problems: list[FieldProblem]) -> bool:
    value = fields.get(f"attribute[{name}]", "false")
    if value not in ("true", "false"):
        problems.append(FieldProblem(("body", f"attribute[{name}]"), "must be true or false"))
    return value == "true"


def _coordinate(fields: Mapping[str, str], name: str, pattern: str, problems: list[FieldProblem]) -> float | None:
    raw = fields.get(name)
    if raw is None:
        return None
    if re.fullmatch(pattern, raw) is None:
        problems.append(FieldProblem(("body", name), "must be decimal degrees within range, e.g. -0.9553"))
        return None
    return float(raw)


def derived_title(description: str, service_name: str) -> str:
    """The first words of the description (up to 80 characters), named after the service if too short."""
    words = description.split()
    title = ""
    for word in words:
        candidate = f"{title} {word}".strip()
        if len(candidate) > TITLE_CHARS:
            break
        title = candidate
    if not title:
        title = " ".join(words)[:TITLE_CHARS].strip()
    if len(title) < 10:
        title = f"Laporan {service_name}: {title}".strip()[:150]
    return title


# Where a field of ReportSubmission comes from in the Open311 form (for error messages).
_FORM_NAMES = {
    "category": "service_code",
    "title": "attribute[title]",
    "kind": "attribute[kind]",
    "lon": "long",
    "address": "address_string",
    "name": "first_name",
    "reporter": "email",  # "give at least one of email or phone"
}


def submission_body(fields: Mapping[str, str], directory: Directory) -> dict[str, Any]:
    """The POST /reports body that this Open311 form means, or ValidationFailed in the form's own terms."""
    problems: list[FieldProblem] = []
    code = fields.get("service_code")
    category = directory.category(code) if code else None
    if code is None:
        problems.append(FieldProblem(("body", "service_code"), "Field required"))
    elif category is None:
        problems.append(FieldProblem(("body", "service_code"), "is not a service_code of GET services"))
    description = fields.get("description")
    if description is None:
        problems.append(FieldProblem(("body", "description"), "Field required"))
    from lapor.models import LATITUDE_TEXT, LONGITUDE_TEXT

    lat = _coordinate(fields, "lat", LATITUDE_TEXT, problems)
    lon = _coordinate(fields, "long", LONGITUDE_TEXT, problems)
    address = fields.get("address_string")
    if ("lat" in fields) != ("long" in fields):
        problems.append(FieldProblem(("body", "lat"), "lat and long go together"))
    if "lat" not in fields and address is None:
        problems.append(FieldProblem(("body", "address_string"), "give lat and long, address_string, or both"))
    anonymous = _flag(fields, "anonymous", problems)
    confidential = _flag(fields, "confidential", problems)
    contact = {k: fields[k] for k in ("email", "phone") if k in fields}
    for part in ("first_name", "last_name"):
        if part in fields and not 2 <= len(fields[part].strip()) <= 100:
            problems.append(FieldProblem(("body", part), "2 to 100 characters, not counting white space at either end"))
    name = " ".join(fields[k].strip() for k in ("first_name", "last_name") if k in fields).strip()
    identified = any(k in fields for k in ("email", "phone", "first_name", "last_name"))
    if anonymous and identified:
        problems.append(
            FieldProblem(
                ("body", "attribute[anonymous]"), "true, so email, first_name, last_name and phone must not be sent"
            )
        )
    if problems:
        raise ValidationFailed(problems, "Request body is not valid")
    assert description is not None and category is not None
    body: dict[str, Any] = {
        "kind": fields.get("attribute[kind]", "complaint"),
        "title": fields.get("attribute[title]") or derived_title(description, category.name),
        "description": description,
        "category": category.code,
        "confidential": confidential,
        "channel": "open311",
    }
    location: dict[str, Any] = {}
    if lat is not None and lon is not None:
        location.update({"lat": lat, "lon": lon})
    if address is not None:
        location["address"] = address
    if location:
        body["location"] = location
    if identified:
        body["reporter"] = {"name": name, **contact} if name else contact
    body["anonymous"] = not identified
    return body


def _form_problems(exc: ValidationFailed) -> ValidationFailed:
    problems = []
    for problem in exc.problems:
        loc = [str(part) for part in problem.loc[1:]]
        if loc and loc[0] in ("location", "reporter"):
            loc = loc[1:] or [loc[0]]
        field = _FORM_NAMES.get(loc[-1], loc[-1]) if loc else "body"
        problems.append(FieldProblem(("body", field), problem.msg))
    return ValidationFailed(problems, exc.title)


def submit_request(body: str | None, *, base_url: str, idempotency_key: str | None, fmt: str) -> shapes.Open311Filed:
    """`POST requests`: check the partner's key, then submit exactly as `POST /reports` does.

    Returns the Open311 answer (with the one-time access code as an extra field clients may ignore).
    """
    from lapor.models import ReportSubmission, parse
    from lapor.reports import body_fingerprint, submit_report

    fields = _form(body)
    check_jurisdiction(fields.get("jurisdiction_id"))
    partner = _authorize(fields.get("api_key"))
    directory = current_directory()
    submission_fields = submission_body(fields, directory)
    try:
        submission = parse(ReportSubmission, submission_fields)
    except ValidationFailed as exc:
        raise _form_problems(exc) from None
    # The same body sent as .json or .xml is the same request: the format is not part of it.
    fingerprint = body_fingerprint("POST /open311/v2/requests", submission_fields) if idempotency_key else None
    receipt = submit_report(
        submission, base_url=base_url, idempotency_key=idempotency_key, fingerprint=fingerprint, partner=partner
    )
    count("Open311RequestFiled")
    logger.info("open311 request filed", extra={"format": fmt})
    return {
        "service_request_id": receipt["tracking_id"],
        "service_notice": f"Tenggat verifikasi: {receipt['due_at']}. Simpan kode akses: hanya ditampilkan sekali.",
        "account_id": None,
        "access_code": receipt["access_code"],
        "tracking_url": receipt["tracking_url"],
    }


# ---------------------------------------------------------------- partner keys (operators)


def create_partner_key(name: str) -> tuple[str, str]:
    """A new api_key for a partner: (key id, key). The key is returned this once; only its hash is kept."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValueError("a partner name has 1 to 100 characters")
    api_key = "o311_" + secrets.token_urlsafe(24)
    hashed = key_hash(api_key)
    key_id = hashed[:12]
    store.put_partner_key(hashed, {"key_id": key_id, "name": name, "created_at": to_store(utcnow()), "uses": 0})
    return key_id, api_key


def partner_keys() -> list[dict[str, Any]]:
    """Every partner key as an operator sees it: id, name, created, uses, last use, revoked (never a key)."""
    return [
        {
            "key_id": record.get("key_id"),
            "name": record.get("name"),
            "created_at": record.get("created_at"),
            "uses": int(record.get("uses", 0)),
            "reports": int(record.get("reports", 0)),
            "last_used_at": record.get("last_used_at"),
            "revoked_at": record.get("revoked_at"),
        }
        for record in sorted(store.list_partner_keys(), key=lambda r: str(r.get("created_at")))
    ]


def revoke_partner_key(key_id: str) -> bool:
    """Revoke the key with this id; False when no active key has it."""
    for record in store.list_partner_keys():
        if record.get("key_id") == key_id and not record.get("revoked_at"):
            return store.revoke_partner_key(record, to_store(utcnow()))
    return False
