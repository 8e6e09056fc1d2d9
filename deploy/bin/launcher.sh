# Sourced by the launch scripts beside it; not run on its own.
# Finds the command's jar and a JVM, then replaces the shell with the JVM (cc_launch), or leaves
# the command line in the array CC_COMMAND for a script that must run more after the JVM (cc_command).
#
# The jar is looked for in ../lib (an installed tree: bin/ and lib/ side by side), then in the
# module's target/ folder (a source checkout after `mvn -B package`).
# RocksDB's native library is loaded from native/ beside the jar when it is there (unpacked at
# build time), instead of being extracted to /tmp by every run.
# The JVM is $JAVA_HOME/bin/java when JAVA_HOME is set, else the first `java` on PATH.
# CLOSURE_CACHE_JAVA_OPTS adds JVM options (for example -Xmx512m).

cc_launch() {
  cc_command "$@"
  exec "${CC_COMMAND[@]}"
}

cc_command() {
  local name=$1
  shift
  local here jar java
  here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
  for jar in "$here/../lib/$name.jar" "$here/../../$name/target/$name.jar" ""; do
    [ -n "$jar" ] && [ -f "$jar" ] && break
  done
  if [ -z "$jar" ]; then
    echo "$name: cannot find $name.jar in $here/../lib or $here/../../$name/target;" \
      "build it first with: mvn -B package -DskipTests" >&2
    exit 127
  fi
  if [ -n "${JAVA_HOME:-}" ]; then
    java="$JAVA_HOME/bin/java"
    if [ ! -x "$java" ]; then
      echo "$name: JAVA_HOME=$JAVA_HOME has no executable bin/java; fix or unset JAVA_HOME" >&2
      exit 127
    fi
  else
    java=$(command -v java || true)
    if [ -z "$java" ]; then
      echo "$name: no java on PATH; install a JDK 17 or newer or set JAVA_HOME" >&2
      exit 127
    fi
  fi
  # Node-side commands run next to jobs: keep their heap small (a pull of a 300 MB JDK closure
  # peaks near 155 MiB RSS with this, 215 MiB without). CLOSURE_CACHE_JAVA_OPTS comes later on the
  # command line, so an -Xmx there wins.
  local heap=()
  [ "$name" = cache-server ] || heap=(-Xmx160m)
  local native=()
  [ -d "$(dirname "$jar")/native" ] && native=("-Djava.library.path=$(dirname "$jar")/native")
  # Short-lived command-line work: the serial collector starts fastest. (C1-only would be
  # slower still: it has no SHA-256 intrinsic, and hashing is most of a capture.)
  local extra=()
  # shellcheck disable=SC2206
  extra=(${CLOSURE_CACHE_JAVA_OPTS:-})
  CC_COMMAND=("$java" -XX:+UseSerialGC "${heap[@]}" "${native[@]}" "${extra[@]}" -jar "$jar" "$@")
}
