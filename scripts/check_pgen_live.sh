#!/usr/bin/env bash
# Live oracle for .pgen input (issue 14), on data plink2 makes now rather than committed files:
# a fresh `plink2 --dummy … --make-pgen` fileset (plink2's default record compression: LD,
# 1-bit and difflist records), compressed and merged by dash from the .pgen, against
# `plink2 --pfile … --glm` on variants without missing calls (scripts/compare_plink2.py, with the
# same data as .bed for the missing-call test); and the .pgen's summary results equal to the .bed's.
# Usage: bash scripts/check_pgen_live.sh       (DASH_BIN: a dash binary; default: cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/dash_bin.sh
command -v plink2 >/dev/null || { echo "check_pgen_live.sh: plink2 not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

plink2 --silent --dummy 800 600 0,0.02 acgt scalar-pheno --seed 23 --make-pgen --out "$tmp/d"
# rs IDs, so that the GWAS-SSF rsid column names the variants for compare_plink2.py.
awk 'BEGIN { OFS = "\t" } /^#/ { print; next } { $3 = "rs" (1000000 + NR); print }' "$tmp/d.pvar" >"$tmp/ids"
mv "$tmp/ids" "$tmp/d.pvar"
plink2 --silent --pfile "$tmp/d" --make-bed --out "$tmp/d"
python3 - "$tmp/d" <<'PY'
import random, sys
prefix = sys.argv[1]
rng = random.Random(5)
with open(prefix + ".psam") as psam, open(prefix + ".pheno", "w") as ph, open(prefix + ".covar", "w") as cv:
    header = psam.readline().split()
    iid, pheno = header.index("#IID"), header.index("PHENO1")
    ph.write("#IID\ty\n")
    cv.write("#IID\tc1\tc2\n")
    for line in psam:
        f = line.split()
        ph.write(f"{f[iid]}\t{f[pheno]}\n")
        cv.write(f"{f[iid]}\t{rng.gauss(0, 1):.6f}\t{rng.gauss(40, 8):.4f}\n")
PY
for input in pgen bed; do
  "$DASH_BIN" compress "$tmp/d.$input" --pheno "$tmp/d.pheno" --covar "$tmp/d.covar" --min-cell 1 \
    --out "$tmp/$input.parquet" 2>/dev/null
  "$DASH_BIN" merge "$tmp/$input.parquet" --out "$tmp/$input" 2>/dev/null
done
plink2 --silent --pfile "$tmp/d" --pheno "$tmp/d.pheno" --covar "$tmp/d.covar" \
  --glm hide-covar omit-ref --out "$tmp/p2"
python3 scripts/compare_plink2.py --dash "$tmp/pgen.y.tsv.gz" --plink2 "$tmp/p2.y.glm.linear" --bed "$tmp/d"
cmp <(zcat "$tmp/pgen.y.tsv.gz") <(zcat "$tmp/bed.y.tsv.gz")
echo "pgen live oracle: plink2 --glm agreement, and .pgen results identical to the .bed's"
