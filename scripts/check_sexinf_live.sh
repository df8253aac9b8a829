#!/usr/bin/env bash
# Live oracle for sex inferred from haploid chrX calls and for a missing DS beside GT (issue 15).
# 1. The chrX parties of fixtures/chrx/make_chrx.py (without missing calls), party c's sex
#    inferred by dash from its VCF's haploid male calls (--sex-from-calls, no sex column used),
#    merged, against `plink2 --glm` on the pooled .bed, whose .fam has the true sex (the VCF
#    imported by plink2 itself; as scripts/check_chrx_live.sh).
# 2. Party c of the sets fixture as GT:DS with DS `.` beside a tenth of the calls
#    (sets/party_c_dsgt.vcf): dash against plink2 --glm on the same VCF imported with
#    dosage=DS (which takes the hard call there), the true sex given to both.
# Tolerance: scripts/compare_plink2.py's default 1e-5 relative (plink2 prints 6 digits).
# Usage: bash scripts/check_sexinf_live.sh     (DASH_BIN: a dash binary; default: cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/dash_bin.sh
. scripts/chrx_parties.sh
command -v plink2 >/dev/null || { echo "check_sexinf_live.sh: plink2 not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 fixtures/chrx/make_chrx.py "$tmp" 0 15
compress_chrx_parties "$tmp"
"$DASH_BIN" compress "$tmp/party_c.vcf" --pheno "$tmp/party_c.pheno" --covar "$tmp/party_c.covar" \
  --covar-name age --sex-from-calls --min-cell 1 --out "$tmp/ci.parquet" 2>"$tmp/ci.log"
grep -q "sex inferred from haploid chrX calls: [0-9]* male, [0-9]* female, 0 unknown" "$tmp/ci.log" \
  || { cat "$tmp/ci.log" >&2; exit 1; }
"$DASH_BIN" merge "$tmp"/{a,b,ci}.parquet --out "$tmp/inferred" 2>/dev/null
plink2 --silent --bfile "$tmp/pooled" --pheno "$tmp/pooled.pheno" --covar "$tmp/pooled.covar" \
  --glm hide-covar omit-ref cols=+a1freq --max-corr 0.9999999 --out "$tmp/p2sex"
python3 scripts/compare_plink2.py --dash "$tmp/inferred.y.tsv.gz" --plink2 "$tmp/p2sex.y.glm.linear" \
  --bed "$tmp/pooled"

d="$tmp/sets"
check_party_c_ds "$d" party_c_dsgt.vcf
echo "sex inference and missing-DS live oracle: plink2 --glm agreement (sex from haploid chrX calls; DS '.' beside GT)"
