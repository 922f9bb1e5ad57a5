#!/bin/sh
# Remove from a built virtual environment what nothing in the images runs (docs/lakehouse.md,
# "Image sizes", says what each group is and why it may go). Usage: trim_venv.sh VENV
set -eu
sp="$1/lib/python3.11/site-packages"

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

# Python side: test suites, C/Cython sources and headers, pyarrow's Flight (not imported by
# anything here), and the symbol tables of the largest native libraries (not stripped upstream).
cd "$sp"
find . -depth -type d -name tests -exec rm -rf {} +
rm -rf pyarrow/include pyarrow/src pyarrow/libarrow_flight.so* pyarrow/_flight.* \
    pyarrow/libarrow_python_flight.so* pyarrow/_pyarrow_cpp_tests.*
find . \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.hpp' \
    -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' \) -type f -delete
strip --strip-unneeded _polars_runtime_32/*.so pyarrow/*.so* polars_avro/*.so zstandard/*.so \
    fastavro/*.so
# A smoke import of what the images run, so a trim that breaks a package fails the build.
"$1/bin/python" -c "import pyarrow.parquet, pyarrow.dataset, pyarrow.fs, polars, polars_avro, \
deltalake, fastavro, zstandard, numpy, pandas, pyspark.sql, avrolake.lake, avrolake.decode"
