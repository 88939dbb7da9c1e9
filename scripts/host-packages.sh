# Sourced by ./pyro and ./run-tests: makes sure Debian packages are installed.
#
#   host_packages_ensure WHY PKG...
#
# Installs the missing ones with apt-get when running as root (unless PYRO_NO_AUTO_INSTALL=1);
# otherwise prints the one `apt-get install` line that fixes it and exits 1. Package lists are
# refreshed first when they are older than a day (a fresh machine often carries lists from
# months ago, whose .deb files the mirror no longer serves), and once more, with a retry, when a
# package is unknown or the install fails. The same rules hold for pyro's own installs
# (dev.pyro.internal.host.AptLists), which share the stamp below.
# Everything goes to stderr: stdout belongs to the caller.

_hp_say() { printf '%s: %s\n' "${HOST_PACKAGES_NAME:-pyro}" "$*" >&2; }

# Where pyro notes its last successful `apt-get update` (apt itself dates list files by the
# mirror's Last-Modified, not by when they were fetched).
_hp_stamp() {
    local cache=${PYRO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pyro}
    printf '%s/host/apt-lists-updated' "$cache"
}

# Seconds since the package lists were last refreshed (by pyro, or by anyone, judged by the
# newest Release file); a large number when there are none.
_hp_lists_age() {
    local newest=0 t f
    for f in "${HOST_PACKAGES_LISTS_DIR:-/var/lib/apt/lists}"/*Release "$(_hp_stamp)"; do
        [ -e "$f" ] || continue
        t=$(stat -c %Y "$f" 2>/dev/null || echo 0)
        [ "$t" -gt "$newest" ] && newest=$t
    done
    echo $(( $(date +%s) - newest ))
}

_hp_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

_hp_known() {
    # Not `apt-cache policy | grep -q`: under pipefail, grep's early exit makes that fail.
    local policy
    policy=$(apt-cache policy "$1" 2>/dev/null) || return 1
    [[ $policy == *"Candidate: "* && $policy != *"Candidate: (none)"* ]]
}

_hp_update() {
    _hp_say "refreshing the package lists (apt-get update)..."
    if apt-get update -q >&2; then
        local stamp
        stamp=$(_hp_stamp)
        mkdir -p "$(dirname "$stamp")" 2>/dev/null && touch "$stamp" 2>/dev/null
        return 0
    fi
    return 1
}

host_packages_ensure() {
    local why=$1 pkg
    shift
    local missing=()
    for pkg in "$@"; do
        _hp_installed "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || [ "${PYRO_NO_AUTO_INSTALL:-}" = 1 ]; then
        local sudo=""
        [ "$(id -u)" != 0 ] && sudo="sudo "
        _hp_say "error: $why needs packages that are not installed; install them with: ${sudo}apt-get install -y --no-install-recommends ${missing[*]}"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    local updated=0
    if [ "$(_hp_lists_age)" -gt 86400 ]; then
        _hp_update && updated=1
    fi
    for pkg in "${missing[@]}"; do
        if ! _hp_known "$pkg" && [ $updated = 0 ]; then
            _hp_update && updated=1
        fi
    done
    _hp_say "installing ${missing[*]} ($why)..."
    if apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2; then
        return 0
    fi
    if [ $updated = 0 ] && _hp_update; then
        _hp_say "retrying the install with fresh package lists..."
        apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2 && return 0
    fi
    _hp_say "error: apt-get install -y ${missing[*]} failed (see apt's output above); fix apt and run again"
    exit 1
}
