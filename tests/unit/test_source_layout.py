"""Source layouts as data: presets and custom patterns date a path; bad layouts are refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avrolake.errors import EXIT_USAGE, SourceLayoutError
from avrolake.registry import Registry, parse_layout
from avrolake.registry.source_layout import Period, hidden, layout_from_settings
from tests.conftest import SHIPPED_REGISTRY

pytestmark = pytest.mark.unit


def utc(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=dt.UTC)


def an_hour(day: int, hour: int) -> Period:
    return Period(utc(day, hour), utc(day, hour) + dt.timedelta(hours=1))


def a_day(day: int) -> Period:
    return Period(utc(day), utc(day + 1))


@pytest.mark.parametrize(
    ("layout", "path", "period"),
    [
        pytest.param("hive", "dt=2026-03-02/hour=05/a.avro", an_hour(2, 5), id="hive_hour"),
        pytest.param("hive", "dt=2026-03-02/a.avro", a_day(2), id="hive_day_only_is_the_day"),
        pytest.param("hive", "raw/dt=2026-03-02/hour=5/a.avro", an_hour(2, 5), id="hive_deeper"),
        pytest.param(
            "kafka-connect-time",
            "year=2026/month=03/day=02/hour=05/clicks+0+0000000000.avro",
            an_hour(2, 5),
            id="kafka_connect_time",
        ),
        pytest.param(
            "flink", "2026-03-02--05/part-1f2e-0-3", an_hour(2, 5), id="flink_bucket_yyyy_MM_dd__HH"
        ),
        pytest.param(
            "{year}/{month}/{day}/{hour}",
            "2026/03/02/05/a.avro",
            an_hour(2, 5),
            id="custom_plain_folders",
        ),
        pytest.param(
            "y={year}/m={month}/d={day}",
            "y=2026/m=03/d=02/a.avro",
            a_day(2),
            id="custom_hive_style_without_hour_is_a_day",
        ),
        pytest.param("{year}{month}{day}", "20260302/a.avro", a_day(2), id="custom_compact_date"),
        pytest.param(
            "{year}/{month}/{day}/{hour}",
            "2026/03/02/a.avro",
            None,
            id="custom_hour_is_required_unless_optional",
        ),
        pytest.param("flink", "2026-03-02-05/part-1", None, id="flink_needs_its_double_dash"),
        pytest.param("hive", "dt=2026-02-30/a.avro", None, id="impossible_date_has_no_time"),
        pytest.param("flink", "2026-03-02--24/part-1", None, id="hour_24_has_no_time"),
        pytest.param(
            "kafka-connect-time",
            "xyear=2026/month=03/day=02/hour=05/a.avro",
            None,
            id="pattern_starts_a_segment",
        ),
        pytest.param(
            "kafka-connect",
            "partition=0/clicks+0+0000000000.avro",
            None,
            id="kafka_connect_has_no_time",
        ),
        pytest.param("none", "2026/03/02/05/a.avro", None, id="none_has_no_time"),
    ],
)
def test_the_layout_reads_the_time_of_a_path(layout: str, path: str, period: Period | None) -> None:
    assert parse_layout(layout).period_of(path) == period


@pytest.mark.parametrize(
    ("layout", "files", "glob"),
    [
        pytest.param("hive", None, "*.avro", id="hive_default_avro"),
        pytest.param("kafka-connect", None, "*.avro", id="kafka_connect_default_avro"),
        pytest.param("kafka-connect-time", None, "*.avro", id="kafka_connect_time_default_avro"),
        pytest.param("flink", None, "*", id="flink_default_everything"),
        pytest.param("none", None, "*.avro", id="none_default_avro"),
        pytest.param("{year}/{month}/{day}", None, "*.avro", id="custom_default_avro"),
        pytest.param("flink", ".avro", "*.avro", id="a_suffix_is_a_glob_on_the_end"),
        pytest.param("flink", "part-*", "part-*", id="a_glob_is_kept"),
    ],
)
def test_the_file_filter_defaults_per_preset(layout: str, files: str | None, glob: str) -> None:
    assert parse_layout(layout, files).files == glob


@pytest.mark.parametrize(
    ("path", "is_hidden"),
    [
        pytest.param("2026-03-02--05/.part-ab-0-1.inprogress.cd", True, id="flink_in_progress"),
        pytest.param("2026-03-02--05/part-ab-0-1", False, id="flink_finished"),
        pytest.param("dt=2026-03-02/a.avro.inprogress", True, id="inprogress_suffix"),
        pytest.param("dt=2026-03-02/a.avro.tmp", True, id="tmp_suffix"),
        pytest.param("dt=2026-03-02/_SUCCESS", True, id="underscore_name"),
        pytest.param("dt=2026-03-02/.a.avro", True, id="dot_name"),
        pytest.param("_temporary/0/a.avro", True, id="underscore_folder"),
        pytest.param(".staging/dt=2026-03-02/a.avro", True, id="dot_folder"),
        pytest.param("dt=2026-03-02/a_b.avro", False, id="underscore_inside_a_name"),
        pytest.param("logs/../x.avro", False, id="a_dot_dot_segment_is_no_hidden_name"),
        pytest.param("logs/./x.avro", False, id="a_dot_segment_is_no_hidden_name"),
    ],
)
def test_hidden_and_in_progress_files_are_never_source_files(path: str, is_hidden: bool) -> None:
    assert hidden(path) is is_hidden
    assert parse_layout("flink").wants(path) is not is_hidden


@pytest.mark.parametrize(
    ("layout", "files", "message"),
    [
        pytest.param("hourly", None, "neither a preset", id="unknown_preset"),
        pytest.param(
            "{year}/{month}/{minute}",
            None,
            "unknown placeholder {minute}",
            id="unknown_placeholder",
        ),
        pytest.param("{year}/{month}", None, "needs {year}, {month} and {day}", id="no_day"),
        pytest.param("{year}/{year}/{month}/{day}", None, "{year} appears twice", id="twice"),
        pytest.param("{year/{month}/{day}", None, "unbalanced", id="unbalanced_brace"),
        pytest.param(
            "/{year}/{month}/{day}", None, "cannot start or end with '/'", id="leading_slash"
        ),
        pytest.param("{year}//{month}/{day}", None, "'//'", id="empty_segment"),
        pytest.param("*/{year}/{month}/{day}", None, "literal text", id="glob_in_pattern"),
        pytest.param(
            "{year}/{month}[/{day}]", None, "only the {hour} part", id="optional_part_is_the_hour"
        ),
        pytest.param(
            "{year}[/{month}]/{day}", None, "one '[...]' at the end", id="optional_part_at_the_end"
        ),
        pytest.param("hive", "a/*.avro", "no '/'", id="files_glob_with_a_folder"),
        pytest.param("hive", " ", "no '/'", id="empty_files_glob"),
    ],
)
def test_a_bad_layout_is_a_usage_error_naming_it(
    layout: str, files: str | None, message: str
) -> None:
    with pytest.raises(SourceLayoutError, match="source layout") as caught:
        parse_layout(layout, files)
    assert message in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE


def test_the_optional_hour_of_hive_reads_both_depths() -> None:
    layout = parse_layout("{year}-{month}-{day}[/h={hour}]")
    assert layout.period_of("2026-03-02/h=05/a.avro") == an_hour(2, 5)
    assert layout.period_of("2026-03-02/a.avro") == a_day(2)


@pytest.mark.parametrize(
    ("stored", "override", "expected"),
    [
        pytest.param({}, (None, None), ("hive", "*.avro"), id="nothing_set_is_hive"),
        pytest.param(
            {"source": {"layout": "flink"}}, (None, None), ("flink", "*"), id="table_json_layout"
        ),
        pytest.param(
            {
                "source": {
                    "prefix": "topics/clicks",
                    "layout": "kafka-connect-time",
                    "files": "*.avro",
                }
            },
            (None, None),
            ("kafka-connect-time", "*.avro"),
            id="table_json_all_keys",
        ),
        pytest.param(
            {"source": {"layout": "flink", "files": "part-*"}},
            ("hive", None),
            ("hive", "part-*"),
            id="command_line_layout_wins",
        ),
        pytest.param(
            {"source": {"layout": "flink"}},
            (None, ".bin"),
            ("flink", "*.bin"),
            id="command_line_files_win",
        ),
    ],
)
def test_the_command_line_overrides_table_json(
    stored: dict[str, object], override: tuple[str | None, str | None], expected: tuple[str, str]
) -> None:
    layout = layout_from_settings(stored, *override)
    assert (layout.name, layout.files) == expected


@pytest.mark.parametrize(
    "source",
    [
        pytest.param({"layout": "hive", "suffix": ".avro"}, id="unknown_key"),
        pytest.param({"layout": 3}, id="layout_not_a_string"),
        pytest.param("hive", id="not_an_object"),
    ],
)
def test_a_malformed_source_object_is_refused(source: object) -> None:
    with pytest.raises(SourceLayoutError):
        layout_from_settings({"source": source})


def test_the_registry_reads_the_layout_from_table_json(tmp_path: Path) -> None:
    subject = tmp_path / "log_event"
    subject.mkdir()
    for avsc in (SHIPPED_REGISTRY / "log_event").glob("v*.avsc"):
        (subject / avsc.name).write_text(avsc.read_text())
    (subject / "table.json").write_text(
        '{"partition_field": "timestamp", "source": {"layout": "{year}/{month}/{day}/{hour}"}}'
    )
    layout = Registry(tmp_path).source_layout("log_event")
    assert layout.pattern == "{year}/{month}/{day}/{hour}"
    assert layout.describe() == (
        "layout '{year}/{month}/{day}/{hour}' (YYYY/MM/DD/HH/<name>), files '*.avro'"
    )
