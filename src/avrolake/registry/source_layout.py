"""Where a subject's producer puts its files: the raw prefix's layout, as data.

A layout is a path **pattern** that dates a file (its `{year}`, `{month}`, `{day}` and
optional `{hour}` folders) plus a **file-name filter** (docs/registry.md):

    "source": {"prefix": "topics/clicks", "layout": "kafka-connect-time", "files": "*.avro"}

The presets are patterns with a name (`PRESETS`); `kafka-connect` and `none` have no time in
the path. Hidden names (`.x`, `_x`, and anything in a hidden folder) and in-progress files
(`*.inprogress`, `*.tmp`, Flink's `.part-….inprogress.…`) are never source files: they are
finished when they are renamed. Everything here is pure: a relative path in, a period out.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, get_args

from avrolake.errors import SourceLayoutError

Preset = Literal["hive", "kafka-connect", "kafka-connect-time", "flink", "none"]
PRESET_NAMES: tuple[str, ...] = get_args(Preset)
DEFAULT_LAYOUT: Preset = "hive"
# the pattern of each preset (None: no time in the path)
PRESETS: dict[str, str | None] = {
    "hive": "dt={year}-{month}-{day}[/hour={hour}]",
    "kafka-connect": None,  # partition=<n>/<topic>+<partition>+<startOffset>.avro
    "kafka-connect-time": "year={year}/month={month}/day={day}/hour={hour}",
    "flink": "{year}-{month}-{day}--{hour}",  # yyyy-MM-dd--HH; part files have no suffix
    "none": None,
}
# the file-name filter of each preset when none is given (custom patterns: *.avro)
DEFAULT_FILES: dict[str, str] = {"flink": "*"}
AVRO_FILES = "*.avro"
# what a key under the prefix looks like, for error messages
EXAMPLES: dict[str, str] = {
    "hive": "dt=YYYY-MM-DD[/hour=HH]/<name>",
    "kafka-connect": "partition=<n>/<topic>+<partition>+<startOffset>.avro",
    "kafka-connect-time": "year=YYYY/month=MM/day=dd/hour=HH/<topic>+<partition>+<offset>.avro",
    "flink": "yyyy-MM-dd--HH/part-<uuid>-<subtask>-<n>",
    "none": "<any path>",
}
SOURCE_KEYS = frozenset({"prefix", "layout", "files"})
_FIELDS = {"year": r"\d{4}", "month": r"\d{1,2}", "day": r"\d{1,2}", "hour": r"\d{1,2}"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_IN_PROGRESS = re.compile(r"(?:\.inprogress|\.tmp)$|\.inprogress\.")
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


class Period(NamedTuple):
    """The time a path stands for: [start, end), an hour or (without an hour) a day, UTC."""

    start: dt.datetime
    end: dt.datetime

    def overlaps(self, since: dt.datetime | None, until: dt.datetime | None) -> bool:
        return (since is None or self.end > since) and (until is None or self.start < until)


@dataclass(frozen=True)
class SourceLayout:
    """A parsed layout: `name` (a preset, or the pattern itself), its `pattern` (None: no
    time in the path) and the file-name glob `files`."""

    name: str
    pattern: str | None
    files: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @property
    def timed(self) -> bool:
        """Whether paths carry a time (interval runs select by it)."""
        return self._regex is not None

    def period_of(self, relative: str) -> Period | None:
        """The period a path (relative to the prefix) holds; None when the pattern does not
        match it, or it names an impossible time (2026-02-30, hour 24)."""
        if self._regex is None:
            return None
        match = self._regex.search(relative)
        if not match:
            return None
        found = match.groupdict()
        try:
            day = dt.datetime(int(found["year"]), int(found["month"]), int(found["day"]))
        except ValueError:
            return None
        if found.get("hour") is None:
            return Period(day.replace(tzinfo=dt.UTC), day.replace(tzinfo=dt.UTC) + DAY)
        hour = int(found["hour"])
        if hour > 23:
            return None
        start = day.replace(tzinfo=dt.UTC) + dt.timedelta(hours=hour)
        return Period(start, start + HOUR)

    def hour_of(self, relative: str) -> dt.datetime | None:
        """The hour a path holds (hour 0 of its day when it names only a day)."""
        period = self.period_of(relative)
        return None if period is None else period.start

    def wants(self, relative: str) -> bool:
        """Whether the file name passes the filter (hidden and in-progress never do)."""
        name = relative.rsplit("/", 1)[-1]
        return not hidden(relative) and fnmatch.fnmatchcase(name, self.files)

    def describe(self) -> str:
        """What keys under the prefix look like, with the file filter."""
        shape = EXAMPLES.get(self.name) or f"{_example(self.pattern or '')}/<name>"
        return f"layout {self.name!r} ({shape}), files {self.files!r}"


def hidden(relative: str) -> bool:
    """A hidden (`.`/`_`-prefixed) name or folder, or an in-progress file."""
    parts = relative.split("/")
    named = (p for p in parts if p not in (".", ".."))  # S3 keys may hold them: not hidden
    return any(p[:1] in (".", "_") for p in named) or bool(_IN_PROGRESS.search(parts[-1]))


def parse_layout(layout: str | None = None, files: str | None = None) -> SourceLayout:
    """A preset name or a custom pattern, with its file filter (a glob, or a suffix such as
    `.avro`); None takes the defaults (hive; the preset's filter)."""
    name = DEFAULT_LAYOUT if layout is None else layout.strip()
    if name in PRESETS:
        pattern = PRESETS[name]
    elif "{" in name:
        pattern = name
    else:
        raise SourceLayoutError(
            name,
            "is neither a preset (" + ", ".join(PRESET_NAMES) + ") nor a pattern with "
            "{year}, {month}, {day} and optionally {hour}",
        )
    regex = None if pattern is None else _compile(name, pattern)
    return SourceLayout(name, pattern, _files_glob(name, files), regex)


def layout_from_settings(
    stored: Mapping[str, Any], layout: str | None = None, files: str | None = None
) -> SourceLayout:
    """The subject's layout: `layout`/`files` (the command line) over table.json's
    `"source"` object, over the defaults."""
    source = stored.get("source") or {}
    if not isinstance(source, Mapping) or not set(source) <= SOURCE_KEYS:
        found = sorted(source) if isinstance(source, Mapping) else source
        raise SourceLayoutError(
            str(found), f'table.json\'s "source" must be an object with keys {sorted(SOURCE_KEYS)}'
        )
    for key in SOURCE_KEYS:
        value = source.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise SourceLayoutError(repr(value), f'"source.{key}" must be a non-empty string')
    return parse_layout(layout or source.get("layout"), files or source.get("files"))


def _files_glob(layout: str, files: str | None) -> str:
    if files is None:
        return DEFAULT_FILES.get(layout, AVRO_FILES)
    glob = files.strip()
    if not glob or "/" in glob:
        raise SourceLayoutError(
            layout, f"the file filter {files!r} must be a glob or suffix of a file name (no '/')"
        )
    return glob if any(c in glob for c in "*?[") else f"*{glob}"


def _compile(name: str, pattern: str) -> re.Pattern[str]:
    """The pattern as a regex matching whole path segments anywhere in a relative path."""
    body, optional = _split_optional(name, pattern)
    seen: list[str] = []
    parts = [_segment_regex(name, body, seen)]
    if optional is not None:
        if "{hour}" not in optional:
            raise SourceLayoutError(name, "only the {hour} part of a pattern can be optional")
        parts.append(f"(?:{_segment_regex(name, optional, seen)})?")
    if not {"year", "month", "day"} <= set(seen):
        raise SourceLayoutError(name, "a pattern needs {year}, {month} and {day} ({hour} optional)")
    return re.compile(r"(?:^|/)" + "".join(parts) + r"(?:/|$)")


def _split_optional(name: str, pattern: str) -> tuple[str, str | None]:
    if "[" not in pattern and "]" not in pattern:
        return pattern, None
    start = pattern.find("[")
    if start < 0 or not pattern.endswith("]") or pattern.count("[") + pattern.count("]") != 2:
        raise SourceLayoutError(name, "an optional part is one '[...]' at the end of the pattern")
    return pattern[:start], pattern[start + 1 : -1]


def _segment_regex(name: str, text: str, seen: list[str]) -> str:
    if (text.startswith("/") and not seen) or "//" in text or text.endswith("/"):
        raise SourceLayoutError(name, "a pattern cannot start or end with '/' or hold '//'")
    if any(seg in (".", "..") for seg in text.split("/")) or any(c in text for c in "*?\\"):
        raise SourceLayoutError(name, "a pattern holds literal text and {placeholders} only")
    out, last = [], 0
    for match in _PLACEHOLDER.finditer(text):
        key = match.group(1)
        if key not in _FIELDS:
            raise SourceLayoutError(
                name, f"unknown placeholder {{{key}}}: use {{year}} {{month}} {{day}} {{hour}}"
            )
        if key in seen:
            raise SourceLayoutError(name, f"{{{key}}} appears twice")
        seen.append(key)
        out += [re.escape(text[last : match.start()]), f"(?P<{key}>{_FIELDS[key]})"]
        last = match.end()
    rest = text[last:]
    if "{" in rest or "}" in rest or any("{" in p or "}" in p for p in out[::2]):
        raise SourceLayoutError(name, "unbalanced '{' or '}'")
    return "".join(out) + re.escape(rest)


def _example(pattern: str) -> str:
    shown = {"year": "YYYY", "month": "MM", "day": "DD", "hour": "HH"}
    return _PLACEHOLDER.sub(lambda m: shown.get(m.group(1), m.group(0)), pattern)
