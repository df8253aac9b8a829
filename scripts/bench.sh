#!/usr/bin/env bash
# dash vs plink2 --glm, side by side on the same generated data.
#
#   bash scripts/bench.sh [N] [M]        (default N=20000 samples, M=100000 variants)
#
# Data: `plink2 --dummy` genotypes (acgt), one quantitative phenotype, 10 random covariates
# (+ intercept), in two versions: no missing calls ("dense") and 1% missing calls ("missing").
# For each it times, with peak RSS:
#   dash decode   (read + decode only: the practical floor)
#   dash compress (one party) and dash merge
#   plink2 --glm hide-covar omit-ref
# and prints the ratios. Env: BENCH_DIR (default /tmp/dash-bench), THREADS (default: all cores),
# DASH_BIN (default: builds target/release/dash), SKIP_PLINK2=1 to time dash only (memory runs).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
M=${2:-100000}
THREADS=${THREADS:-$(nproc)}
dir=${BENCH_DIR:-/tmp/dash-bench}/n${N}_m${M}
mkdir -p "$dir"
if [ -z "${DASH_BIN:-}" ]; then
  cargo build --release --quiet
  DASH_BIN=target/release/dash
fi
command -v plink2 >/dev/null || { echo "bench.sh: plink2 not found (apt-get install plink2)" >&2; exit 2; }

# time_run LABEL CMD... → appends "LABEL seconds max_rss_kib" to $dir/times.txt
time_run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$dir/.time" "$@" >"$dir/$label.out" 2>"$dir/$label.err" || {
    echo "bench.sh: $label failed:" >&2; tail -5 "$dir/$label.err" >&2; exit 1; }
  read -r secs rss <"$dir/.time"
  printf '%-22s %10.2f s %10.0f MiB\n' "$label" "$secs" "$((rss / 1024))"
  echo "$label $secs $rss" >>"$dir/times.txt"
}
get() { awk -v l="$1" '$1 == l { print $2 }' "$dir/times.txt"; }

: >"$dir/times.txt"
echo "dash vs plink2 --glm: N=$N samples, M=$M variants, 10 covariates, threads=$THREADS"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for kind in dense missing; do
  prefix="$dir/$kind"
  missing_freq=$([ "$kind" = dense ] && echo 0 || echo 0.01)
  bash scripts/make_bench_data.sh "$prefix" "$N" "$M" "$missing_freq" "$THREADS"
  echo "--- $kind ($( [ "$kind" = dense ] && echo 'no missing calls' || echo '1% missing calls'))"
  time_run "$kind.decode" "$DASH_BIN" decode "$prefix.bed" --threads "$THREADS"
  time_run "$kind.compress" "$DASH_BIN" compress "$prefix.bed" --pheno "$prefix.pheno" \
    --covar "$prefix.covar" --threads "$THREADS" --out "$dir/$kind.parquet"
  time_run "$kind.merge" "$DASH_BIN" merge "$dir/$kind.parquet" --threads "$THREADS" --out "$dir/$kind.dash"
  if [ -z "${SKIP_PLINK2:-}" ]; then
    time_run "$kind.plink2" plink2 --bfile "$prefix" --pheno "$prefix.pheno" --covar "$prefix.covar" \
      --glm hide-covar omit-ref --threads "$THREADS" --out "$dir/$kind.plink2"
  fi
done

echo
printf '%-8s %9s %9s %9s %9s %9s %14s %14s\n' data decode compress merge dash plink2 plink2/dash compress/decode
for kind in dense missing; do
  d=$(get "$kind.decode"); c=$(get "$kind.compress"); m=$(get "$kind.merge"); p=$(get "$kind.plink2")
  awk -v k="$kind" -v d="$d" -v c="$c" -v m="$m" -v p="${p:-0}" 'BEGIN {
    t = c + m; printf "%-8s %8.2fs %8.2fs %8.2fs %8.2fs %8.2fs %13.1fx %13.2fx\n", k, d, c, m, t, p, (p > 0 ? p / t : 0), (d > 0 ? c / d : 0) }'
done
