#!/usr/bin/env bash
# Dosage inputs: dash vs plink2 --glm on the same imputed-style file, side by side.
#
#   bash scripts/bench_bgen.sh [N] [M]          (default N=4000 samples, M=20000 variants)
#
# Data: `plink2 --dummy N M 0 dosage-freq=1` (every genotype a dosage; a few missing), one
# quantitative phenotype, 10 standard-normal covariates, exported as BGEN 1.2, zlib, REF first,
# at 8 bits (the form of UK Biobank's imputed genotypes) and at 16 bits (the issue's table).
# Rows per bit depth B (time, peak RSS):
#   bgenB.decode    dash decode  (read + inflate + decode only: the floor of compress)
#   bgenB.compress  dash compress (one party)      bgenB.merge  dash merge
#   bgenB.plink2    plink2 --bgen F ref-first --glm hide-covar omit-ref
# then the targets per bit depth: (compress + merge) / plink2 ≤ 0.2, compress / decode ≤ 1.3.
# Also checks the merge against plink2 --glm on the source pfile (dosages at plink2's 1/16384
# resolution) and prints the largest differences: what the 8-bit rounding of the export costs.
# Env: BENCH_DIR (default /tmp/dash-bench), THREADS (default: all cores), DASH_BIN (default:
# builds target/release/dash), DASH_BASE_BIN (optional: another dash, e.g. an earlier commit's,
# whose decode and compress are timed right after this one's, interleaved, as rows baseB).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4000}
M=${2:-20000}
THREADS=${THREADS:-$(nproc)}
dir=${BENCH_DIR:-/tmp/dash-bench}/dosage_n${N}_m${M}
mkdir -p "$dir"
if [ -z "${DASH_BIN:-}" ]; then
  cargo build --release --quiet
  DASH_BIN=${CARGO_TARGET_DIR:-target}/release/dash
fi
command -v plink2 >/dev/null || { echo "bench_bgen.sh: plink2 not found (apt-get install plink2)" >&2; exit 2; }

time_run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$dir/.time" "$@" >"$dir/$label.out" 2>"$dir/$label.err" || {
    echo "bench_bgen.sh: $label failed:" >&2; tail -5 "$dir/$label.err" >&2; exit 1; }
  read -r secs rss <"$dir/.time"
  printf '%-16s %10.2f s %10.0f MiB\n' "$label" "$secs" "$((rss / 1024))"
  echo "$label $secs $rss" >>"$dir/times.txt"
}
get() { awk -v l="$1" '$1 == l { print $2 }' "$dir/times.txt"; }

src=$dir/src
if [ ! -f "$dir/data.bgen" ]; then
  plink2 --silent --dummy "$N" "$M" 0 dosage-freq=1 acgt scalar-pheno --seed 1 --threads "$THREADS" \
    --make-pgen --out "$src.raw"
  # --dummy starts at position 0; dash (like bcftools) wants positions from 1.
  awk 'BEGIN { OFS = "\t" } /^#/ { print; next } { $2 = $2 + 1; print }' "$src.raw.pvar" >"$src.pvar"
  mv "$src.raw.pgen" "$src.pgen"; mv "$src.raw.psam" "$src.psam"
  plink2 --silent --pfile "$src" --export bgen-1.2 bits=8 ref-first --threads "$THREADS" --out "$dir/data"
fi
if [ ! -f "$dir/data16.bgen" ]; then
  plink2 --silent --pfile "$src" --export bgen-1.2 bits=16 ref-first --threads "$THREADS" --out "$dir/data16"
fi
if [ ! -f "$dir/data.covar" ]; then
  python3 - "$src.psam" "$dir" <<'PY'
import random, sys
psam, out = sys.argv[1], sys.argv[2]
rng = random.Random(7)
with open(psam) as f, open(out + "/data.pheno", "w") as ph, open(out + "/data.covar", "w") as cv:
    header = [h.lstrip("#") for h in f.readline().split()]
    ph.write("IID\ty\n")
    cv.write("IID\t" + "\t".join(f"c{i}" for i in range(1, 11)) + "\n")
    for line in f:
        fields = line.split()
        iid, y = fields[header.index("IID")], fields[header.index("PHENO1")]
        ph.write(f"{iid}\t{y}\n")
        cv.write(f"{iid}\t" + "\t".join(f"{rng.gauss(0, 1):.6f}" for _ in range(10)) + "\n")
PY
fi

: >"$dir/times.txt"
echo "BGEN 1.2 (zlib, 8 and 16 bits): N=$N samples, M=$M variants, 10 covariates, threads=$THREADS"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# One row per bit depth: 8 bits as UK Biobank ships, 16 bits as the issue's table measured.
for bits in 8 16; do
  b=$dir/data$bits.bgen
  [ "$bits" = 8 ] && b=$dir/data.bgen
  time_run "bgen$bits.decode" "$DASH_BIN" decode "$b" --bgen-ref first --threads "$THREADS"
  if [ -n "${DASH_BASE_BIN:-}" ]; then
    time_run "bgen$bits.base.decode" "$DASH_BASE_BIN" decode "$b" --bgen-ref first --threads "$THREADS"
  fi
  time_run "bgen$bits.compress" "$DASH_BIN" compress "$b" --bgen-ref first --pheno "$dir/data.pheno" \
    --covar "$dir/data.covar" --min-cell 1 --threads "$THREADS" --out "$dir/bgen$bits.parquet"
  if [ -n "${DASH_BASE_BIN:-}" ]; then
    time_run "bgen$bits.base.compress" "$DASH_BASE_BIN" compress "$b" --bgen-ref first \
      --pheno "$dir/data.pheno" --covar "$dir/data.covar" --min-cell 1 --threads "$THREADS" \
      --out "$dir/bgen$bits.base.parquet"
  fi
  time_run "bgen$bits.merge" "$DASH_BIN" merge "$dir/bgen$bits.parquet" --threads "$THREADS" \
    --out "$dir/bgen$bits.dash"
  time_run "bgen$bits.plink2" plink2 --bgen "$b" ref-first --pheno "$dir/data.pheno" \
    --covar "$dir/data.covar" --glm hide-covar omit-ref --threads "$THREADS" --out "$dir/bgen$bits.plink2"
done
# The oracle: plink2 on the source dosages (not timed).
plink2 --silent --pfile "$src" --pheno "$dir/data.pheno" --covar "$dir/data.covar" \
  --glm hide-covar omit-ref cols=+a1freq --threads "$THREADS" --out "$dir/src.plink2"

echo
printf '%-7s %9s %9s %9s %9s %9s %12s %15s\n' "data" "decode" "compress" "merge" "dash" "plink2" "dash/plink2" "compress/decode"
for bits in 8 16; do
  d=$(get "bgen$bits.decode"); c=$(get "bgen$bits.compress"); m=$(get "bgen$bits.merge"); p=$(get "bgen$bits.plink2")
  awk -v l="bgen$bits" -v d="$d" -v c="$c" -v m="$m" -v p="$p" 'BEGIN {
    t = c + m
    printf "%-7s %8.2fs %8.2fs %8.2fs %8.2fs %8.2fs %11.2fx %14.2fx\n", l, d, c, m, t, p, t / p, c / d }'
  if [ -n "${DASH_BASE_BIN:-}" ]; then
    d=$(get "bgen$bits.base.decode"); c=$(get "bgen$bits.base.compress")
    awk -v l="base$bits" -v d="$d" -v c="$c" -v m="$m" -v p="$p" 'BEGIN {
      t = c + m
      printf "%-7s %8.2fs %8.2fs %8s  %8.2fs %8.2fs %11.2fx %14.2fx\n", l, d, c, "(same)", t, p, t / p, c / d }'
  fi
done

cat >"$dir/compare.py" <<'PY'
import gzip, math, sys
dash = {}
with gzip.open(sys.argv[1], "rt") as f:
    head = f.readline().rstrip("\n").split("\t")
    for line in f:
        r = dict(zip(head, line.rstrip("\n").split("\t")))
        dash[(r["chromosome"], r["base_pair_location"], r["effect_allele"])] = r
worst = {"beta": 0.0, "standard_error": 0.0, "neg_log_10_p_value": 0.0}
n = 0
with open(sys.argv[2]) as f:
    head = f.readline().lstrip("#").split()
    for line in f:
        r = dict(zip(head, line.split()))
        d = dash.get((r["CHROM"], r["POS"], r["A1"]))
        # plink2 drops a variant's missing calls, dash mean-imputes them: the models agree only
        # on variants without missing calls.
        if d is None or r["BETA"] == "NA" or d["beta"] == "#NA" or r["OBS_CT"] != d["n"]:
            continue
        n += 1
        se = float(r["SE"])
        lp = -math.log10(float(r["P"])) if float(r["P"]) > 0 else float("inf")
        errs = {"beta": abs(float(d["beta"]) - float(r["BETA"])) / se,
                "standard_error": abs(float(d["standard_error"]) - se) / se,
                "neg_log_10_p_value": abs(float(d["neg_log_10_p_value"]) - lp) / max(lp, 1.0)}
        for k, v in errs.items():
            worst[k] = max(worst[k], v)
print(f"dash vs {sys.argv[3]}, {n} variants without missing calls: "
      f"max |dβ|/se {worst['beta']:.2e}, max rel. d(se) {worst['standard_error']:.2e}, "
      f"max rel. d(-log10 p) {worst['neg_log_10_p_value']:.2e}")
PY
for bits in 8 16; do
  python3 "$dir/compare.py" "$dir/bgen$bits.dash.y.tsv.gz" "$dir/src.plink2.y.glm.linear" \
    "plink2 --glm on the source pfile (dash on its $bits-bit BGEN export)"
  python3 "$dir/compare.py" "$dir/bgen$bits.dash.y.tsv.gz" "$dir/bgen$bits.plink2.y.glm.linear" \
    "plink2 --glm on the same $bits-bit BGEN"
done
