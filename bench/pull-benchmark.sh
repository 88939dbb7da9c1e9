#!/usr/bin/env bash
# Pull benchmark (docs/performance.md, "Environment pulls"): starts Debian's docker-registry on
# loopback, publishes ENV (default debian:12) from the local cache, then RUNS times into an
# empty cache each:
#   - `pyro env pull ENV`: its own download throughput (downloaded bytes / time receiving
#     layers) and end-to-end throughput (layer bytes / whole pull: manifest, verify, unpack, install);
#   - a plain HTTP download (curl) of the same blobs from the same registry, in the same run;
#   - the time from the start of `pyro env pull` to the first output line of `pyro run ENV -- echo`
#     (which includes the first-use proof boot and the run's own boot).
# Usage: bench/pull-benchmark.sh [ENV] [RUNS]     (as root if ENV still has to be built)
set -euo pipefail
root=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/..
pyro="$root/pyro"
env=${1:-debian:12}
runs=${2:-3}
registry_bin=${PYRO_BENCH_REGISTRY:-/usr/bin/docker-registry}
command -v curl >/dev/null || { echo "needs curl: apt-get install -y curl" >&2; exit 1; }
[ -x "$registry_bin" ] || { echo "needs docker-registry: apt-get install -y docker-registry" >&2; exit 1; }

work=$(mktemp -d /tmp/pyro-bench-XXXXXX)
registry_pid=
cleanup() {
    [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port=
for candidate in $(shuf -i 20000-60000 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
cat > "$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
YAML
"$registry_bin" serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

name=${env%%:*}; tag=${env#*:}; [ "$tag" = "$env" ] && tag=latest
target="127.0.0.1:$port/pyro/$name:$tag"
echo "== building (if needed) and publishing $env to $target" >&2
"$pyro" env build "$env" >&2
"$pyro" env publish "$env" --to "$target" --json >"$work/publish.json"
# The layer digests and sizes, from the pretty-printed JSON (no jq needed).
mapfile -t digests < <(grep -o '"digest" : "sha256:[0-9a-f]*"' "$work/publish.json" | tail -n +2 | cut -d'"' -f4 | sed 1d)

ns() { date +%s%N; }
field() { grep -o "\"$1\" : [0-9]*" "$2" | head -1 | awk '{print $3}'; }

echo "publish: $(field uploaded_bytes "$work/publish.json") bytes uploaded in $(grep -o '"duration_ms" : [0-9]*' "$work/publish.json" | tail -1 | awk '{print $3}') ms (hashing, zstd -${PYRO_OCI_COMPRESSION_LEVEL:-9}, chunked upload)"
printf '%-4s %12s %10s %14s %14s %14s %16s\n' run layer_bytes pull_ms pull_dl_MB/s pull_e2e_MB/s curl_MB/s pull_to_output_s
for i in $(seq "$runs"); do
    cache="$work/cache-$i"
    t0=$(ns)
    PYRO_CACHE_DIR="$cache" PYRO_REGISTRY="127.0.0.1:$port/pyro" "$pyro" env pull "$env" --json >"$work/pull-$i.json"
    t_first=$( { PYRO_CACHE_DIR="$cache" PYRO_HOME="$work/home" "$pyro" run "$env" -- echo first-output 2>/dev/null; } \
        | { IFS= read -r _; ns; cat >/dev/null; } )
    total=$(field total_bytes "$work/pull-$i.json")
    downloaded=$(field downloaded_bytes "$work/pull-$i.json")
    download_ms=$(field download_ms "$work/pull-$i.json")
    duration_ms=$(field duration_ms "$work/pull-$i.json")
    # The same blobs, plain HTTP GET from the same registry, to /dev/null.
    c0=$(ns); curl_bytes=0
    for d in "${digests[@]}"; do
        b=$(curl -sf -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/v2/pyro/$name/blobs/$d")
        curl_bytes=$((curl_bytes + ${b%.*}))
    done
    c1=$(ns)
    awk -v run="$i" -v total="$total" -v dl="$downloaded" -v dlms="$download_ms" -v ms="$duration_ms" \
        -v cb="$curl_bytes" -v cns=$((c1 - c0)) -v first=$((t_first - t0)) 'BEGIN {
        printf "%-4s %12d %10d %14.1f %14.1f %14.1f %16.2f\n", run, total, ms, dl / 1e6 / (dlms / 1000),
            total / 1e6 / (ms / 1000), cb / 1e6 / (cns / 1e9), first / 1e9 }'
done
