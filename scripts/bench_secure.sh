#!/usr/bin/env bash
# Secure compress vs plaintext compress on the same data (issue 5: secure ≤ 1.2× plaintext).
#
#   bash scripts/bench_secure.sh [N] [M] [PARTIES]   (default N=20000, M=20000, PARTIES=3)
#
# Data: `plink2 --dummy N M 0.01` (1% missing calls), one quantitative phenotype, 10 random
# covariates. A roster of PARTIES keys (this party masks against PARTIES−1 peers) and the
# manifest of the .bim. Each compress runs REPEAT times (default 5), alternating; medians reported.
# Env: BENCH_DIR (default /tmp/dash-bench-secure), THREADS (default: all cores), DASH_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
M=${2:-20000}
PARTIES=${3:-3}
REPEAT=${REPEAT:-5}
THREADS=${THREADS:-$(nproc)}
dir=${BENCH_DIR:-/tmp/dash-bench-secure}/n${N}_m${M}
mkdir -p "$dir"
if [ -z "${DASH_BIN:-}" ]; then
  cargo build --release --quiet
  DASH_BIN=target/release/dash
fi
command -v plink2 >/dev/null || { echo "bench_secure.sh: plink2 not found (apt-get install plink2)" >&2; exit 2; }

prefix="$dir/data"
bash scripts/make_bench_data.sh "$prefix" "$N" "$M" 0.01 "$THREADS"
rm -f "$dir"/p*.key "$dir"/p*.pub
pubs=()
for i in $(seq 1 "$PARTIES"); do
  "$DASH_BIN" keygen --out "$dir/p$i" 2>/dev/null
  pubs+=("$dir/p$i.pub")
done
"$DASH_BIN" roster "${pubs[@]}" --out "$dir/roster.txt" 2>/dev/null
"$DASH_BIN" manifest "$prefix.bim" --out "$dir/manifest.tsv" 2>/dev/null

# Plaintext and secure runs alternate, so that load from anything else on the machine hits both
# alike; each is timed REPEAT times and the medians are compared.
time_one() {
  /usr/bin/time -f "%e %U %S" -o "$dir/.time" "$@" >/dev/null 2>"$dir/.err" || {
    echo "bench_secure.sh: failed:" >&2; tail -3 "$dir/.err" >&2; exit 1; }
  cat "$dir/.time"
}
# median COLUMN < times: median wall seconds (1) or CPU seconds, user + system (2)
median() {
  awk -v c="$1" '{ print (c == 1 ? $1 : $2 + $3) }' | sort -n |
    awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}

echo "secure vs plaintext compress: N=$N samples, M=$M variants, 10 covariates, 1% missing, $PARTIES-party roster, threads=$THREADS"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
: >"$dir/plain.times"
: >"$dir/secure.times"
for _ in $(seq 1 "$REPEAT"); do
  time_one "$DASH_BIN" compress "$prefix.bed" --pheno "$prefix.pheno" --covar "$prefix.covar" \
    --threads "$THREADS" --out "$dir/plain.parquet" >>"$dir/plain.times"
  time_one "$DASH_BIN" compress "$prefix.bed" --pheno "$prefix.pheno" --covar "$prefix.covar" \
    --threads "$THREADS" --secure --roster "$dir/roster.txt" --key "$dir/p1.key" \
    --manifest "$dir/manifest.tsv" --out "$dir/secure.parquet" >>"$dir/secure.times"
done
plain=$(median 1 <"$dir/plain.times")
secure=$(median 1 <"$dir/secure.times")
plain_cpu=$(median 2 <"$dir/plain.times")
secure_cpu=$(median 2 <"$dir/secure.times")
printf '%-10s %9s %9s %8s\n' compress wall cpu size
printf '%-10s %8.2fs %8.2fs %8s\n' plaintext "$plain" "$plain_cpu" "$(du -h "$dir/plain.parquet" | cut -f1)"
printf '%-10s %8.2fs %8.2fs %8s\n' secure "$secure" "$secure_cpu" "$(du -h "$dir/secure.parquet" | cut -f1)"
awk -v p="$plain" -v s="$secure" -v pc="$plain_cpu" -v sc="$secure_cpu" \
  'BEGIN { printf "secure/plaintext: %.2fx wall, %.2fx cpu (user + system)\n", s / p, sc / pc }'
