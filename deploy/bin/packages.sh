# Sourced by scripts that need programs a fresh Debian machine may lack; not run on its own.
#
#   cc_require WHO COMMAND:PACKAGE...
#
# For every COMMAND missing from PATH (or, when COMMAND starts with /, every missing file), the
# Debian PACKAGE that brings it is needed. As root on a machine with apt-get, the needed packages
# are installed (apt-get update, then apt-get install -y --no-install-recommends; its output is
# shown only if it fails) and the script goes on. Otherwise it prints one line naming the packages and the one apt-get command that
# installs them, and exits 1. CLOSURE_CACHE_NO_INSTALL=1 never installs, only says what is missing.

cc_require() {
  local who=$1 spec cmd pkg missing=() packages=()
  shift
  for spec in "$@"; do
    cmd=${spec%%:*} pkg=${spec#*:}
    if [[ $cmd == /* ]]; then
      [ -e "$cmd" ] && continue
    else
      command -v "$cmd" > /dev/null 2>&1 && continue
    fi
    missing+=("$cmd")
    [[ " ${packages[*]} " == *" $pkg "* ]] || packages+=("$pkg")
  done
  [ ${#packages[@]} -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1 && [ "${CLOSURE_CACHE_NO_INSTALL:-0}" != 1 ]; then
    echo "$who: installing ${packages[*]} (for ${missing[*]})" >&2
    export DEBIAN_FRONTEND=noninteractive
    local log
    log=$(mktemp) || exit 1
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}"; } > "$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      echo "$who: could not install ${packages[*]}; install them and run again" >&2
      exit 1
    fi
    rm -f "$log"
    hash -r
    return 0
  fi
  echo "$who: needs ${missing[*]}; install as root with: apt-get install -y ${packages[*]}" >&2
  exit 1
}
