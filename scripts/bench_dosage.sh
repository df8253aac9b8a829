#!/usr/bin/env bash
# Dosage inputs: dash vs plink2 --glm on imputed-style VCF.gz with DS, side by side (issue 13).
#
#   bash scripts/bench_dosage.sh [N] [M]        (default N=4000 samples, M=20000 variants)
#
# Data (generated once into $BENCH_DIR): `plink2 --dummy N M` with dosage-freq=0.3 (30 % of
# dosages non-integer, up to 5 decimals, as imputation servers write them), positions made
# 1-based, exported as VCF.gz with `GT:DS` for every call (vcf-dosage=DS-force) and as BCF; one
# quantitative phenotype and 10 standard-normal covariates. Each command runs three times, dash
# and plink2 interleaved; the best wall time and the best CPU time (user + system) are reported,
# with the load average before each round (the machine may be shared).
#
# Rows: inflate-only floor (`bgzip -dc`, one thread), `dash decode` (GT and DS, one thread and
# all), `dash compress` and `dash merge` (DS), `plink2 --vcf … dosage=DS --glm`.
# Env: BENCH_DIR (default /tmp/dash-bench-dosage), THREADS (default: all cores), DASH_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4000}
M=${2:-20000}
THREADS=${THREADS:-$(nproc)}
dir=${BENCH_DIR:-/tmp/dash-bench-dosage}/n${N}_m${M}
mkdir -p "$dir"
if [ -z "${DASH_BIN:-}" ]; then
  cargo build --release --quiet
  DASH_BIN=${CARGO_TARGET_DIR:-target}/release/dash
fi
for tool in plink2 bgzip; do
  command -v "$tool" >/dev/null || { echo "bench_dosage.sh: needs $tool" >&2; exit 2; }
done

d="$dir/ds"
if [ ! -f "$d.vcf.gz" ]; then
  echo "generating $N samples x $M variants..."
  plink2 --silent --dummy "$N" "$M" 0 acgt scalar-pheno dosage-freq=0.3 --seed 1 \
    --threads "$THREADS" --make-pgen --out "$dir/dummy"
  # plink2 --dummy numbers positions from 0; VCF positions start at 1.
  awk 'BEGIN { OFS = "\t" } /^#/ { print; next } { $2 += 1; print }' "$dir/dummy.pvar" >"$dir/pvar"
  mv "$dir/pvar" "$dir/dummy.pvar"
  plink2 --silent --pfile "$dir/dummy" --export vcf bgz vcf-dosage=DS-force --threads "$THREADS" --out "$d"
  plink2 --silent --pfile "$dir/dummy" --export bcf vcf-dosage=DS-force --threads "$THREADS" --out "$d"
  python3 - "$dir/dummy.psam" "$d" <<'PY'
import random, sys
psam, out = sys.argv[1], sys.argv[2]
rng = random.Random(7)
with open(psam) as f, open(out + ".pheno", "w") as ph, open(out + ".covar", "w") as cv:
    next(f)
    ph.write("#IID\ty\n")
    cv.write("#IID\t" + "\t".join(f"c{i}" for i in range(1, 11)) + "\n")
    for line in f:
        iid, _sex, pheno = line.split()
        ph.write(f"{iid}\t{pheno}\n")
        cv.write(f"{iid}\t" + "\t".join(f"{rng.gauss(0, 1):.6f}" for _ in range(10)) + "\n")
PY
fi

echo "dosage inputs: N=$N samples, M=$M variants, 10 covariates, threads=$THREADS"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf 'files: VCF.gz %s MB (%s MB inflated), BCF %s MB\n' \
  "$(($(stat -c %s "$d.vcf.gz") / 1000000))" "$(($(bgzip -dc "$d.vcf.gz" | wc -c) / 1000000))" \
  "$(($(stat -c %s "$d.bcf") / 1000000))"

# The runs, as "label|command"; every round runs each once, in this order.
runs=(
  "inflate floor: bgzip -dc (1 thread)|bgzip -dc -@1 $d.vcf.gz"
  "dash decode VCF.gz DS --threads 1|$DASH_BIN decode $d.vcf.gz --dosage-field DS --threads 1"
  "dash decode VCF.gz DS|$DASH_BIN decode $d.vcf.gz --dosage-field DS --threads $THREADS"
  "dash decode VCF.gz GT --threads 1|$DASH_BIN decode $d.vcf.gz --dosage-field GT --threads 1"
  "dash decode VCF.gz GT|$DASH_BIN decode $d.vcf.gz --dosage-field GT --threads $THREADS"
  "dash decode BCF DS|$DASH_BIN decode $d.bcf --dosage-field DS --threads $THREADS"
  "dash compress VCF.gz DS|$DASH_BIN compress $d.vcf.gz --dosage-field DS --pheno $d.pheno --covar $d.covar --threads $THREADS --out $dir/ds.parquet"
  "dash merge|$DASH_BIN merge $dir/ds.parquet --threads $THREADS --out $dir/ds.dash"
  "plink2 --vcf dosage=DS --glm|plink2 --vcf $d.vcf.gz dosage=DS --pheno $d.pheno --covar $d.covar --glm hide-covar omit-ref --threads $THREADS --out $dir/ds.plink2"
)
: >"$dir/times.txt"
for round in 1 2 3; do
  echo "round $round: load $(cut -d' ' -f1-3 /proc/loadavg)"
  for run in "${runs[@]}"; do
    label=${run%%|*}
    # Outputs are removed first; merge reads the summary the compress before it wrote.
    case $label in
      "dash compress"*) rm -f "$dir"/ds.parquet* "$dir"/ds.suppressed* ;;
      "dash merge") rm -f "$dir"/ds.dash* ;;
    esac
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S" -o "$dir/.time" ${run#*|} >/dev/null 2>"$dir/.err" || {
      echo "bench_dosage.sh: $label failed:" >&2; tail -3 "$dir/.err" >&2; exit 1; }
    read -r wall user sys <"$dir/.time"
    echo "$label|$wall|$(echo "$user + $sys" | bc -l)" >>"$dir/times.txt"
  done
done

# best LABEL FIELD: the smallest wall (2) or CPU (3) time of the label's runs.
best() { awk -F'|' -v l="$1" -v f="$2" '$1 == l { if (b == "" || $f < b) b = $f } END { print b }' "$dir/times.txt"; }
genotypes=$((N * M))
echo
echo "| run | wall s | CPU s | M genotypes / CPU s |"
echo "|---|---:|---:|---:|"
for run in "${runs[@]}"; do
  label=${run%%|*}
  awk -v l="$label" -v w="$(best "$label" 2)" -v c="$(best "$label" 3)" -v g="$genotypes" \
    'BEGIN { printf "| %s | %.2f | %.2f | %.1f |\n", l, w, c, (c > 0 ? g / c / 1e6 : 0) }'
done
decode=$(best "dash decode VCF.gz DS" 2)
compress=$(best "dash compress VCF.gz DS" 2)
merge=$(best "dash merge" 2)
plink2=$(best "plink2 --vcf dosage=DS --glm" 2)
awk -v d="$decode" -v c="$compress" -v m="$merge" -v p="$plink2" 'BEGIN {
  printf "\ndash compress + merge %.2f s, plink2 %.2f s: dash / plink2 = %.2f (target <= 0.2); compress / decode = %.2f (target <= 1.3)\n",
    c + m, p, (c + m) / p, c / d }'
