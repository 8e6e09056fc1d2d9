#!/usr/bin/env bash
# Closure resolution: our resolver against glibc's `ld.so --list` and pax-utils' `lddtree`, on a
# few real programs, in the same run.
#   resolve (in JVM): the resolver in a warm JVM, fresh ELF header cache per run (bench/ResolveBench.java)
#   cli (cold):       `cache-client closure -- PROGRAM`, JVM start-up and hashing every file included
# Needs: hyperfine, pax-utils (lddtree) with python3-pyelftools, a built cache-client jar.
set -euo pipefail
. bench/lib.sh
need hyperfine lddtree
jar=cache-client/target/cache-client.jar
[ -f "$jar" ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
lddtree=(/usr/bin/python3 "$(command -v lddtree)")  # Debian's lddtree needs the system python's elftools

programs=(/usr/bin/python3.11 /usr/bin/git /usr/lib/jvm/java-17-openjdk-amd64/bin/java
  /usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so /usr/bin/gdb)
present=()
for p in "${programs[@]}"; do [ -f "$p" ] && present+=("$p"); done

java -cp "$jar" bench/ResolveBench.java "${present[@]}" >"$out_dir/resolve.txt"
for p in "${present[@]}"; do
  read -r _ ours libs < <(grep "^$p " "$out_dir/resolve.txt")
  ldso=$(mean_ms 50 "/lib64/ld-linux-x86-64.so.2 --list $p")
  ldd3=$(mean_ms 10 "${lddtree[*]} $p")
  cli=$(mean_ms 5 "deploy/bin/cache-client closure -- $p")
  short="$(basename "$p") ($libs libs)"
  row "resolve (in JVM) $short" "$ours" "$ldso" "ld.so --list"
  row "resolve (in JVM) $short" "$ours" "$ldd3" "lddtree"
  row "cli (cold JVM, hashes) $short" "$cli" "$ldso" "ld.so --list"
done
