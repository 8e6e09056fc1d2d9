# Sourced by the launch scripts beside it; not run on its own.
# Finds the command's jar and a JVM, then replaces the shell with the JVM (cc_launch), or leaves
# the command line in the array CC_COMMAND for a script that must run more after the JVM (cc_command).
#
# The jar is looked for in ../lib (an installed tree: bin/ and lib/ side by side), then in the
# module's target/ folder (a source checkout after `mvn -B package`).
# RocksDB's native library is loaded from native/ beside the jar when it is there (unpacked at
# build time), instead of being extracted to /tmp by every run.
# The JVM is $JAVA_HOME/bin/java when JAVA_HOME is set, else the node kit's runtime when the kit's
# enter script started this (CLOSURE_CACHE_KIT), else the first `java` on PATH.
# CLOSURE_CACHE_JAVA_OPTS adds JVM options (for example -Xmx512m).
# CC_JVM_PROPS (an array a calling script may fill, see cc_caller_environment) adds more.
CC_JVM_PROPS=()

cc_launch() {
  # The first run of a representative subcommand (CC_CDS_TRAINERS, set by the calling script)
  # makes the class archive: it stays the JVM's parent to publish it. Every other run is replaced
  # by the JVM.
  if [ -n "${2:-}" ] && [[ " ${CC_CDS_TRAINERS:-} " == *" $2 "* ]]; then
    CC_CDS_CREATE=1 cc_command "$@"
  else
    cc_command "$@"
  fi
  if [ -n "$CC_CDS_NEW" ]; then
    local status=0
    "${CC_COMMAND[@]}" || status=$?
    cc_publish_class_archive
    exit "$status"
  fi
  exec "${CC_COMMAND[@]}"
}

cc_command() {
  local name=$1
  shift
  local here jar java
  here=$(readlink -f "${BASH_SOURCE[0]}")
  here=${here%/*}
  for jar in "$here/../lib/$name.jar" "$here/../../$name/target/$name.jar" ""; do
    [ -n "$jar" ] && [ -f "$jar" ] && break
  done
  if [ -z "$jar" ]; then
    echo "$name: cannot find $name.jar in $here/../lib or $here/../../$name/target;" \
      "build it first with: mvn -B package -DskipTests" >&2
    exit 127
  fi
  # Kit mode (CLOSURE_CACHE_KIT, set by the node kit's enter script): the kit's own runtime, started
  # through the kit's loader; its JVM starts children without jspawnhelper, an ELF program the
  # node's kernel could not start (it names a loader the node may not have).
  local kit=()
  if [ -n "${CLOSURE_CACHE_KIT:-}" ] && [ -z "${JAVA_HOME:-}" ]; then
    java="$CLOSURE_CACHE_KIT/opt/closure-cache/node/bin/java"
    kit=(-Djdk.lang.Process.launchMechanism=VFORK)
  elif [ -n "${JAVA_HOME:-}" ]; then
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
  # The main class by name, not the jar's: the node kit runs both node commands from one jar.
  local main
  case $name in
    cache-client) main=org.closurecache.client.cli.CacheClientMain ;;
    exec-shim) main=org.closurecache.shim.cli.ExecShimMain ;;
    cache-server) main=org.closurecache.server.cli.CacheServerMain ;;
  esac
  local heap=()
  [ "$name" = cache-server ] || heap=(-Xmx160m)
  local native=()
  [ -d "${jar%/*}/native" ] && native=("-Djava.library.path=${jar%/*}/native")
  # Short-lived command-line work: the serial collector starts fastest. (C1-only would be
  # slower still: it has no SHA-256 intrinsic, and hashing is most of a capture.)
  local extra=()
  # shellcheck disable=SC2206
  extra=(${CLOSURE_CACHE_JAVA_OPTS:-})
  cc_class_archive "$name" "$jar" "$java"
  CC_COMMAND=("$java" -XX:+UseSerialGC "${heap[@]}" "${native[@]}" "${kit[@]}" "${CC_CDS[@]}" "${extra[@]}" \
    "${CC_JVM_PROPS[@]}" "-Dclosurecache.bin=$here" -cp "$jar" "$main" "$@")
}

# Hands the JVM the environment this script was started with, as the caller passed it: bash adds
# PWD, SHLVL and _ to what it passes on, and a capture records the environment. The kernel keeps
# the block this process was exec'd with in /proc/$$/environ; it goes to the JVM NUL-separated
# through a pipe (never a file: it may hold secrets), named by -Dclosurecache.callerEnvironment.
# Costs one fork (the pipe's writer), so only the capture commands call it. Without /proc the JVM
# falls back to its own environment.
cc_caller_environment() {
  local -a vars=()
  mapfile -d '' -t vars 2>/dev/null < /proc/$$/environ || return 0
  exec {CC_ENV_FD}< <(printf '%s\0' "${vars[@]}")
  CC_JVM_PROPS+=("-Dclosurecache.callerEnvironment=/proc/self/fd/$CC_ENV_FD")
}

# Class-data sharing: the classes a command loads, archived by one run (-XX:ArchiveClassesAtExit)
# and mapped by later ones (about 40% off a warm `exec-shim run` here). One archive per command
# and JVM, beside the jar or else under $XDG_CACHE_HOME; one older than the jar or the JVM is
# made again. A foreign or damaged archive is ignored by the JVM, quietly (-Xlog:cds=off).
# CLOSURE_CACHE_CDS=0 turns it off. Sets CC_CDS (JVM options) and CC_CDS_NEW: a temporary archive
# this run will write, for the caller to publish with cc_publish_class_archive once the JVM has
# exited (only scripts that do not exec the JVM create archives).
cc_class_archive() {
  local name=$1 jar=$2 java=$3 dir
  CC_CDS=() CC_CDS_NEW= CC_CDS_ARCHIVE=
  [ "${CLOSURE_CACHE_CDS:-1}" != 0 ] || return 0
  dir=${jar%/*}/cds
  if ! { [ -d "$dir" ] && [ -w "$dir" ]; } && ! mkdir -p "$dir" 2>/dev/null; then
    dir=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/closure-cache/cds
    mkdir -p "$dir" 2>/dev/null || return 0
  fi
  CC_CDS_ARCHIVE=$dir/$name${java//\//_}.jsa
  # A command's archive holds its own classes on top of the JVM's base archive of JDK classes. The
  # kit's jlinked runtime has none (11 MB less to carry): it is made here once, in 0.5 s.
  local base= on=
  if [ -n "${CLOSURE_CACHE_KIT:-}" ] && [ ! -f "$CLOSURE_CACHE_KIT/opt/closure-cache/runtime/lib/server/classes.jsa" ]; then
    base=$dir/base${java//\//_}.jsa
    if [ ! -f "$base" ] || [ "$java" -nt "$base" ]; then
      "$java" -Xshare:dump "-XX:SharedArchiveFile=$base.$$.tmp" -Xlog:cds=off > /dev/null 2>&1 \
        && mv -f "$base.$$.tmp" "$base" || { rm -f "$base.$$.tmp"; return 0; }
    fi
    on=$base:
  fi
  if [ -f "$CC_CDS_ARCHIVE" ] && [ ! "$jar" -nt "$CC_CDS_ARCHIVE" ] && [ ! "$java" -nt "$CC_CDS_ARCHIVE" ]; then
    CC_CDS=("-XX:SharedArchiveFile=$on$CC_CDS_ARCHIVE" -Xlog:cds=off -Xlog:cds+dynamic=off)
  elif [ "${CC_CDS_CREATE:-0}" = 1 ]; then
    CC_CDS_NEW=$CC_CDS_ARCHIVE.$$.tmp
    CC_CDS=(${base:+"-XX:SharedArchiveFile=$base"} "-XX:ArchiveClassesAtExit=$CC_CDS_NEW" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
}

# Publishes the archive a run made (see cc_class_archive) with one rename; a concurrent one may replace it.
cc_publish_class_archive() {
  [ -n "${CC_CDS_NEW:-}" ] || return 0
  if [ -s "$CC_CDS_NEW" ]; then
    mv -f "$CC_CDS_NEW" "$CC_CDS_ARCHIVE" 2>/dev/null || rm -f "$CC_CDS_NEW"
  else
    rm -f "$CC_CDS_NEW"
  fi
}
