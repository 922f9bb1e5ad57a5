#!/bin/sh
# Remove from a built virtual environment what nothing in the images runs (docs/lakehouse.md,
# "Image sizes", says what each group is and why it may go). Usage: trim_venv.sh VENV spark|airflow
set -eu
sp="$1/lib/python3.11/site-packages"
image="$2"

# Spark's JVM side. Kept: what a standalone master, its workers and a client-mode driver need
# for SQL, Delta and Python tasks. Dropped: the Spark Connect server and its Scala REPL, the
# Scala compiler, Hive (metastore, SerDes, Thrift server, Derby, DataNucleus), MLlib and GraphX
# with their linear algebra, Kubernetes and YARN, and RocksDB (streaming state store and the
# history server's disk store), ZooKeeper (master recovery), LevelDB (the external shuffle
# service), and the TLS natives for macOS and Windows.
cd "$sp/pyspark/jars"
rm -rf connect-repl
rm -f rocksdbjni-*.jar spark-connect_*.jar spark-repl_*.jar scala-compiler-*.jar \
    spark-mllib*.jar spark-graphx_*.jar breeze*.jar spire*.jar cats-kernel_*.jar algebra_*.jar \
    lapack-*.jar blas-*.jar arpack*.jar JTransforms-*.jar JLargeArrays-*.jar \
    hive-exec-*.jar hive-metastore-*.jar hive-common-*.jar hive-serde-*.jar hive-shims-*.jar \
    hive-jdbc-*.jar hive-beeline-*.jar hive-cli-*.jar hive-service-rpc-*.jar hive-llap-*.jar \
    spark-hive*.jar datanucleus-*.jar derby*.jar javax.jdo-*.jar jdo-api-*.jar \
    libthrift-*.jar libfb303-*.jar HikariCP-*.jar commons-dbcp-*.jar commons-pool-*.jar \
    javolution-*.jar ST4-*.jar antlr-runtime-3*.jar jpam-*.jar opencsv-*.jar super-csv-*.jar \
    jline-2*.jar kubernetes-*.jar volcano-*.jar vertx-*.jar spark-kubernetes_*.jar \
    zjsonpatch-*.jar spark-yarn_*.jar zookeeper-*.jar curator-*.jar leveldbjni-all-*.jar \
    netty-tcnative-boringssl-static-*-osx-*.jar netty-tcnative-boringssl-static-*-windows-*.jar \
    netty-transport-native-kqueue-*.jar
rm -rf "$sp/pyspark/examples" "$sp/pyspark/data"
# zstd-jni, snappy-java and lz4-java: only the Linux x86_64 and aarch64 natives stay.
python3 /usr/local/bin/slim-native-jars zstd-jni-*.jar snappy-java-*.jar lz4-java-*.jar

# Python side: test suites, C/Cython sources and headers, pyarrow's Flight (not imported by
# anything here), and the symbol tables of the largest native libraries (not stripped upstream).
cd "$sp"
# pandas (pyspark's pandas-on-Spark, toPandas and Spark Connect use it; avrolake, its jobs, the
# Python data source and the DAGs do not), pyspark's MLlib and pandas-on-Spark packages, numpy's
# f2py. The Spark image also loses the Spark Connect client (grpc, protobuf; its server is not
# in the jars either); the Airflow image keeps grpc for OpenTelemetry.
rm -rf pandas pandas-*.dist-info pyspark/pandas pyspark/ml pyspark/mllib numpy/f2py
# pyspark.zip: a second copy of pyspark's sources that Spark puts first on its Python processes'
# PYTHONPATH; without it they import the venv's pyspark, compiled, instead of from the zip.
rm -f pyspark/python/lib/pyspark.zip
if [ "$image" = spark ]; then
    # ...and what only the Spark Connect client and pandas bring: zstandard, PyYAML, pytz,
    # tzdata (Python's zoneinfo reads the system's time zones).
    rm -rf grpc grpcio-*.dist-info grpc_status grpcio_status-*.dist-info google \
        googleapis_common_protos-*.dist-info protobuf-*.dist-info pyspark/sql/connect \
        pyspark/pipelines zstandard zstandard-*.dist-info yaml _yaml pyyaml-*.dist-info \
        PyYAML-*.dist-info pytz pytz-*.dist-info tzdata tzdata-*.dist-info
fi
# Type stubs (nothing imports a .pyi), numpy's test extensions and numpy.distutils (a build
# tool), pyarrow's ORC, HDFS, GCS and Azure modules (pyarrow imports each only where it is).
find . -name '*.pyi' -type f -delete
rm -rf numpy/distutils numpy/_core/_simd.* numpy/_core/_multiarray_tests.* numpy/_core/_umath_tests.* \
    numpy/_core/_rational_tests.* numpy/_core/_struct_ufunc_tests.* numpy/_core/_operand_flag_tests.* \
    pyarrow/_orc.* pyarrow/_dataset_orc.* pyarrow/_gcsfs.* pyarrow/_hdfs.* pyarrow/_azurefs.*
# botocore: the S3 client and the credential chain's STS, SSO, SSO-OIDC and sign-in clients;
# the models of ~440 other AWS services go.
find botocore/data -mindepth 1 -maxdepth 1 -type d ! -name s3 ! -name sts ! -name sso \
    ! -name sso-oidc ! -name signin -exec rm -rf {} +
find . -depth -type d -name tests -exec rm -rf {} +
rm -rf pyarrow/include pyarrow/src pyarrow/libarrow_flight.so* pyarrow/_flight.* \
    pyarrow/libarrow_python_flight.so* pyarrow/_pyarrow_cpp_tests.*
find . \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.hpp' \
    -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' \) -type f -delete
strip --strip-unneeded _polars_runtime_32/*.so pyarrow/*.so* polars_avro/*.so fastavro/*.so
[ ! -d zstandard ] || strip --strip-unneeded zstandard/*.so
# pyarrow's wheel holds libarrow_python.so three times (no symlinks in wheels): link them
# (after strip, which would turn a link back into a copy).
for lib in pyarrow/libarrow_python*.so.*.*.*; do
    for copy in "${lib%.*.*}" "${lib%.*.*.*}"; do
        if [ -f "$copy" ] && [ ! -L "$copy" ] && cmp -s "$lib" "$copy"; then
            ln -sf "$(basename "$lib")" "$copy"
        fi
    done
done
# A smoke import of what the images run, so a trim that breaks a package fails the build.
"$1/bin/python" -c "import pyarrow.parquet, pyarrow.dataset, pyarrow.fs, polars, polars_avro, \
deltalake, fastavro, numpy, pyspark.sql, pyspark.sql.datasource, pyspark.worker, \
botocore.session, pyspark.sql.functions, delta.tables, avrolake.lake, avrolake.decode, avrolake.ingest.job; \
botocore.session.get_session().create_client('s3', region_name='us-east-1')"
