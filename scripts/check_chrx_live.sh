#!/usr/bin/env bash
# Live oracle for chrX (issue 15): three parties — two .bed filesets (males' non-PAR chrX calls
# diploid-coded 0/2) and a VCF (males' calls there haploid, sex from a covariate column) — made
# by fixtures/chrx/make_chrx.py without missing calls, compressed and merged by dash, against
# `plink2 --glm` on the pooled .bed (the VCF imported by plink2 itself), with plink2's default
# chrX model (sex covariate, males 0..2) and with `no-x-sex` (dash merge --no-x-sex).
# Tolerance as scripts/check_live_oracles.sh: scripts/compare_plink2.py's default 1e-5 relative
# (plink2 prints 6 significant digits).
# Usage: bash scripts/check_chrx_live.sh       (DASH_BIN: a dash binary; default: cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/dash_bin.sh
. scripts/chrx_parties.sh
command -v plink2 >/dev/null || { echo "check_chrx_live.sh: plink2 not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 fixtures/chrx/make_chrx.py "$tmp" 0 15
compress_chrx_parties "$tmp"
"$DASH_BIN" merge "$tmp"/{a,b,c}.parquet --out "$tmp/sex" 2>/dev/null
"$DASH_BIN" merge "$tmp"/{a,b,c}.parquet --no-x-sex --out "$tmp/nosex" 2>/dev/null
plink2 --silent --bfile "$tmp/pooled" --pheno "$tmp/pooled.pheno" --covar "$tmp/pooled.covar" \
  --glm hide-covar omit-ref cols=+a1freq --max-corr 0.9999999 --out "$tmp/p2sex"
plink2 --silent --bfile "$tmp/pooled" --pheno "$tmp/pooled.pheno" --covar "$tmp/pooled.covar" \
  --glm hide-covar omit-ref no-x-sex cols=+a1freq --max-corr 0.9999999 --out "$tmp/p2nosex"
python3 scripts/compare_plink2.py --dash "$tmp/sex.y.tsv.gz" --plink2 "$tmp/p2sex.y.glm.linear" --bed "$tmp/pooled"
# Under no-x-sex, plink2 2.00a3.5 refuses some non-PAR chrX variants (CORR_TOO_HIGH or
# VIF_TOO_HIGH, whatever --max-corr says) that it fits with the sex covariate: those are left
# out of both files, counted, and every other variant is compared.
python3 - "$tmp" <<'PY'
import gzip, sys
d = sys.argv[1]
lines = open(d + "/p2nosex.y.glm.linear").read().splitlines()
head = lines[0].split("\t")
refused = {l.split("\t")[head.index("ID")] for l in lines[1:]
           if l.split("\t")[head.index("ERRCODE")] in ("CORR_TOO_HIGH", "VIF_TOO_HIGH")}
open(d + "/p2nosex.kept.glm.linear", "w").write(
    "\n".join([lines[0]] + [l for l in lines[1:] if l.split("\t")[head.index("ID")] not in refused]) + "\n")
rows = gzip.open(d + "/nosex.y.tsv.gz", "rt").read().splitlines()
rsid = rows[0].split("\t").index("rsid")
open(d + "/nosex.kept.tsv", "w").write(
    "\n".join([rows[0]] + [r for r in rows[1:] if r.split("\t")[rsid] not in refused]) + "\n")
print("no-x-sex: %d variants plink2 refuses (CORR_TOO_HIGH/VIF_TOO_HIGH) left out" % len(refused))
PY
python3 scripts/compare_plink2.py --selected --dash "$tmp/nosex.kept.tsv" --plink2 "$tmp/p2nosex.kept.glm.linear" --bed "$tmp/pooled"
echo "chrX live oracle: plink2 --glm agreement with the default chrX model and with no-x-sex"
