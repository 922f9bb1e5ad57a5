"""Build the SparkSession the job runs on (local[N] or a standalone spark://host:7077)."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from avrolake.config import DEFAULT_JARS_DIR

log = logging.getLogger(__name__)
LOCAL_TASK_ATTEMPTS = 2
# The driver JVM only schedules tasks and moves small results: the Python workers decode and
# write. Its C2 compiler would spend more CPU compiling than it ever saves (bench/speed.py:
# about 5 CPU-s of every run on 2 cores), and its small heap needs no parallel collector
# (bench/results/fixed_cost.md measures each option). `defaultJavaOptions` is prepended to
# `spark.driver.extraJavaOptions`, so options a user sets there are kept.
DRIVER_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# Class-data sharing: the driver maps the classes a run loads from this archive instead of
# parsing and verifying them again (scripts/build_cds.py writes it at setup; without it, or
# when another JVM made it, the JVM loads its classes as usual).
CDS_DIR = "cds"
# `spark-submit` first runs a small JVM that only prints the driver's command line; it needs
# no C2 and no parallel collector either (0.59 -> 0.39 CPU-s a run here,
# bench/results/fixed_cost.md). spark-class reads them from SPARK_LAUNCHER_OPTS.
LAUNCHER_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# A Delta session: Spark SQL reads and writes the tables avrolake lands (docs/interop.md).
DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
# Python workers of a local master import pyspark from its installed, byte-compiled copy, not
# from pyspark.zip, which Python compiles from source in every process (avrolake.spark.daemon;
# about 0.8 CPU-s for the daemon and 0.9 for each worker, bench/results/fixed_cost.md).
DAEMON_MODULE_KEY = "spark.python.daemon.module"
DAEMON_MODULE = "avrolake.spark.daemon"
_LOCAL = re.compile(r"^local(?:\[([0-9]+|\*)(?:,([0-9]+))?\])?$")


def spark_environment(environ: MutableMapping[str, str], master: str | None, python: str) -> None:
    """What an entry point sets in its environment before Spark starts.

    Python workers must run `python` (it has avrolake and its pinned dependencies), and a
    local master binds to 127.0.0.1 (it needs no network). When this process starts Spark
    (a master is given), spark-submit's launcher JVM runs with LAUNCHER_JAVA_OPTIONS.
    Values already set are kept.
    """
    environ.setdefault("PYSPARK_PYTHON", python)
    environ.setdefault("PYSPARK_DRIVER_PYTHON", python)
    if master is not None:
        environ.setdefault("SPARK_LAUNCHER_OPTS", LAUNCHER_JAVA_OPTIONS)
    if master is not None and master.startswith("local"):
        environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def worker_python(environ: Mapping[str, str], conf: str | None, default: str) -> str:
    """The interpreter Python workers run: the user's choice (PYSPARK_PYTHON, which
    spark-submit also sets from its spark.pyspark.python, else spark.pyspark.python in the
    session's conf), else `default`, the driver's own interpreter (it has avrolake). Spark's
    own default is `python3` from PATH, which a venv that is not activated does not put
    first, so its workers fail with `No module named 'avrolake'`."""
    return environ.get("PYSPARK_PYTHON") or conf or default


def use_worker_python(spark: Any, environ: MutableMapping[str, str], default: str) -> str:
    """Make the workers of a running session run `worker_python(...)`, for the Python
    functions and data sources registered from now on; returns the interpreter."""
    context = spark.sparkContext
    python = worker_python(environ, context.getConf().get("spark.pyspark.python"), default)
    if context.pythonExec != python:
        log.info("Python workers run %s (was %s)", python, context.pythonExec)
        context.pythonExec = python
    return python


def with_task_retries(master: str, attempts: int = LOCAL_TASK_ATTEMPTS) -> str:
    """local / local[N] / local[*] -> local[N,attempts]: local masters retry failed tasks too.

    (Spark's local mode tries a task once unless the master names a failure count.)
    """
    match = _LOCAL.match(master)
    if not match or match.group(2):
        return master
    return f"local[{match.group(1) or 1},{attempts}]"


def delta_jars(jars_dir: Path = DEFAULT_JARS_DIR) -> list[str]:
    """The Delta jars in the cache (`<jars_dir>/delta/*.jar`, filled by `make setup`)."""
    return sorted(str(p) for p in (jars_dir / "delta").glob("*.jar"))


def delta_conf(jars: Sequence[str]) -> dict[str, str]:
    """What makes a session a Delta session: the jars, Delta's SQL extension and catalog.

    Static settings: they take effect only where the driver JVM starts (a local session,
    spark-submit's --conf/--jars, spark-defaults.conf), not on a running one.
    """
    return {
        "spark.jars": ",".join(jars),
        "spark.sql.extensions": DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
    }


def cds_archive(jars_dir: Path = DEFAULT_JARS_DIR) -> Path:
    """Where the driver's class-data-sharing archive for this pyspark lives."""
    from pyspark import __version__

    return jars_dir / CDS_DIR / f"spark-driver-{__version__}.jsa"


def driver_java_options(jars_dir: Path = DEFAULT_JARS_DIR) -> str:
    """DRIVER_JAVA_OPTIONS, with the class-data-sharing archive when setup built one."""
    archive = cds_archive(jars_dir)
    if archive.is_file():
        return f"{DRIVER_JAVA_OPTIONS} -XX:SharedArchiveFile={archive}"
    return DRIVER_JAVA_OPTIONS


def build_session(
    master: str | None,
    python: str,
    app_name: str = "avrolake-ingest",
    jars_dir: Path = DEFAULT_JARS_DIR,
    java_options: str | None = None,
) -> Any:
    """A Delta session whose Python workers run `python`, with UTC timestamps.

    master None keeps the one spark-submit was given (and its JVM, already started, with
    the jars and settings spark-submit was given); a local master retries failed tasks.
    When this call starts the driver JVM, it runs with `java_options` (default:
    `driver_java_options(jars_dir)`) and the Delta jars from `jars_dir` (`make setup`
    fetches them).
    """
    from pyspark.sql import SparkSession

    local = master is not None and master.startswith("local")
    if master is not None:
        master = with_task_retries(master)
    builder = SparkSession.builder if master is None else SparkSession.builder.master(master)
    if master is not None:
        options = driver_java_options(jars_dir) if java_options is None else java_options
        builder = builder.config("spark.driver.defaultJavaOptions", options)
        builder = _with_delta(builder, jars_dir)
    if local:
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    builder = builder.appName(app_name).config("spark.sql.session.timeZone", "UTC")
    builder = builder.config("spark.sql.execution.arrow.pyspark.enabled", "true")
    for key, value in _task_conf(python, master).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    _quiet(spark.sparkContext)
    return spark


def _task_conf(python: str, master: str | None) -> dict[str, str]:
    """What every avrolake session or context sets: its Python, no UI, reused workers, and
    on a local master (given, or spark-submit's) avrolake's Python daemon unless one is set.

    The daemon is left to local masters: a cluster's workers may get avrolake through
    `--py-files`, which Spark adds to the path of a task, not of the daemon."""
    from pyspark import SparkConf

    given = SparkConf()  # spark-submit's settings when its JVM runs this process
    local = (master or given.get("spark.master", "")).startswith("local")
    daemon = local and not given.contains(DAEMON_MODULE_KEY)
    return {
        "spark.pyspark.python": python,
        "spark.pyspark.driver.python": python,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.python.worker.reuse": "true",
        **({DAEMON_MODULE_KEY: DAEMON_MODULE} if daemon else {}),
    }


def _quiet(context: Any) -> None:
    context.setLogLevel("WARN")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # pyspark sets it to INFO


class ContextOnly:
    """A Spark handle with a SparkContext and no SQL layer: all the ingest's tasks use.

    The ingest runs Python tasks and commits with delta-rs; a SparkSession (its SQL
    state, Delta's extension and jars) would cost its driver JVM about 1.5 CPU-s at start
    for nothing it uses (bench/results/fixed_cost.md)."""

    def __init__(self, context: Any) -> None:
        self.sparkContext = context

    def stop(self) -> None:
        self.sparkContext.stop()


def build_context(
    master: str | None,
    python: str,
    app_name: str = "avrolake-ingest",
    jars_dir: Path = DEFAULT_JARS_DIR,
    java_options: str | None = None,
) -> ContextOnly:
    """The ingest's Spark: a SparkContext on `master` (None: spark-submit's, with its
    settings) whose Python workers run `python`; a local master retries failed tasks. When
    this call starts the driver JVM, it runs with `java_options` (default:
    `driver_java_options(jars_dir)`)."""
    from pyspark import SparkConf, SparkContext

    from avrolake.spark.lean import lean_numpy_converters

    lean_numpy_converters()
    conf = SparkConf()
    if master is not None:
        conf.setMaster(with_task_retries(master)).setAppName(app_name)
        options = driver_java_options(jars_dir) if java_options is None else java_options
        conf.set("spark.driver.defaultJavaOptions", options)
        if master.startswith("local"):
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
    for key, value in _task_conf(python, master).items():
        conf.set(key, value)
    context = SparkContext.getOrCreate(conf)
    _quiet(context)
    return ContextOnly(context)


def _with_delta(builder: Any, jars_dir: Path) -> Any:
    jars = delta_jars(jars_dir)
    if not jars:
        log.warning(
            "no Delta jars in %s (run `make setup` or scripts/fetch_jars.py): this Spark "
            "session cannot read Delta tables; avrolake's ingest does not need it",
            jars_dir / "delta",
        )
        return builder
    for key, value in delta_conf(jars).items():
        builder = builder.config(key, value)
    return builder


def active_session() -> Any:
    """The Spark already running in this process (a notebook, a test suite), if any: its
    SparkSession, or a bare SparkContext (as a ContextOnly), which is never the holder's to
    stop or to tune."""
    if "pyspark" not in sys.modules:  # no pyspark imported: no session can be active
        return None
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        return session
    context = SparkContext._active_spark_context
    return None if context is None else ContextOnly(context)


class SessionHolder:
    """Builds the ingest's Spark handle (`build_context`: a SparkContext, no SQL layer) when
    the run has work, so runs with nothing to do never start Spark.

    `start()` builds it in a background thread (the driver JVM starts while the job finishes
    planning); calling the holder waits for it, starting it first if need be. A session
    that was already active (a notebook, a test suite) is used as it is and left running:
    `stop()` stops only a session this holder started.
    """

    def __init__(self, master: str | None, python: str) -> None:
        self.master, self.python = master, python
        self.session: Any = None
        self.owned = False
        self._starting: Future[Any] | None = None

    def starts_local(self) -> bool:
        """Whether calling the holder would start a local Spark of its own (a local master,
        no session running in this process)."""
        if self.master is None or not self.master.startswith("local"):
            return False
        if self.session is not None or self._starting is not None:
            return self.owned
        return active_session() is None

    def start(self) -> None:
        if self.session is not None or self._starting is not None:
            return
        self.session = active_session()
        if self.session is not None:
            return
        self.owned = True
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="avrolake-spark-start")
        self._starting = pool.submit(build_context, self.master, self.python)
        pool.shutdown(wait=False)

    def __call__(self) -> Any:
        self.start()
        if self.session is None and self._starting is not None:
            self.session = self._starting.result()
        return self.session

    def stop(self) -> None:
        if self.session is None and self._starting is not None:
            try:
                self.session = self._starting.result()  # the run ended while it started
            except Exception as exc:  # the run's own error (if any) is the one to raise
                log.warning("the Spark session did not start: %s", exc)
        if self.session is not None and self.owned:
            self.session.stop()
        self.session, self._starting = None, None
