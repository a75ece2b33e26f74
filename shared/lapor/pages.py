"""Static pages of a function's folder (the citizen pages, the agency console): files read once per warm
function, the chosen language's strings written into the HTML (text and a JSON block, so the first paint
needs no extra round trip), one version for the cache of every asset, and ETags with 304s.

Style sheets are served as `base.css` (next to this file: what every page shares) followed by their own.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from lapor.http import Request, Response

LANGUAGES = ("id", "en")
HTML = "text/html; charset=utf-8"
# A versioned asset URL (?v=<version>) never changes: cache it for a year. Anything else: revalidate soon.
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
BASE_CSS = Path(__file__).with_name("base.css")
_TEXT_SLOT = re.compile(r'data-t="([\w.]+)"[^>]*>')


def etag(content: str | bytes) -> str:
    data = content.encode() if isinstance(content, str) else content
    return '"' + hashlib.sha256(data).hexdigest()[:24] + '"'


def not_modified(request: Request, tag: str) -> bool:
    return tag in (t.strip() for t in (request.header("If-None-Match") or "").split(","))


def cached(request: Request, body: str | bytes, content_type: str, headers: Mapping[str, str]) -> Response:
    """200 with an ETag, or 304 when the browser already holds this very body (cheap on a slow line)."""
    headers = {**headers, "ETag": etag(body)}
    if not_modified(request, headers["ETag"]):
        return Response(304, None, headers, content_type)
    return Response(200, body, headers, content_type)


def language(request: Request) -> str:
    """The `lang` asked for; anything unknown shows Bahasa Indonesia."""
    lang = request.query.get("lang", "")
    return lang if lang in LANGUAGES else LANGUAGES[0]


class Site:
    """The static files under `folder`: `assets/<name>` for each name of `assets`, `strings/<lang>.json`, and
    pages with `data-t` text slots and `{{slot}}` placeholders."""

    def __init__(self, folder: Path, assets: tuple[str, ...]) -> None:
        self.folder = folder
        self.assets = assets
        self.file: Callable[..., str] = cache(self._read)
        self.strings: Callable[[str], dict[str, str]] = cache(self._strings)
        self.version: Callable[[], str] = cache(self._version)
        self.page = cache(self._page)

    def _read(self, *parts: str) -> str:
        text = self.folder.joinpath(*parts).read_text(encoding="utf-8")
        if parts[-1].endswith(".css"):
            return BASE_CSS.read_text(encoding="utf-8") + text
        return text

    def _strings(self, lang: str) -> dict[str, str]:
        return dict(json.loads(self.file("strings", f"{lang}.json")))

    def _version(self) -> str:
        """The assets' cache key: changes whenever a script, a style or a language's strings change."""
        digest = hashlib.sha256()
        for parts in [("assets", name) for name in sorted(self.assets)] + [("strings", f"{x}.json") for x in LANGUAGES]:
            digest.update(self.file(*parts).encode())
        return digest.hexdigest()[:12]

    def _page(self, name: str, lang: str, **slots: str) -> str:
        """A page in one language: every `data-t` element filled with its text, the strings as a JSON block,
        and `{{lang}}`, `{{other}}`, `{{version}}`, `{{strings}}` and `slots` filled in.

        A page's own long texts (`pages/privasi.html`: `strings/privasi.<lang>.json`) are added to the shared
        ones for that page only, so the pages that carry the strings block do not carry them too."""
        own = self.folder / "strings" / f"{Path(name).stem}.{lang}.json"
        strings = {**self.strings(lang), **(json.loads(self.file("strings", own.name)) if own.exists() else {})}
        page = _TEXT_SLOT.sub(lambda m: m.group(0) + html.escape(strings[m.group(1)], quote=False), self.file(name))
        block = json.dumps(strings, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
        slots = {"lang": lang, "other": strings["_other"], "version": self.version(), **slots, "strings": block}
        for slot, value in slots.items():
            page = page.replace("{{" + slot + "}}", value)
        return page

    def asset(self, request: Request, name: str, folder: str = "assets") -> Response:
        """An asset (or `strings/<lang>.json`) as the operation serving it declares it (`content_type`), cached
        for a year when asked for with the current version."""
        assert request.operation is not None
        cache_control = IMMUTABLE if request.query.get("v") == self.version() else SHORT
        content_type = f"{request.operation.content_type}; charset=utf-8"
        return cached(request, self.file(folder, name), content_type, {"Cache-Control": cache_control})
