#!/usr/bin/env bash
# Live oracle for the sex-chromosome sample sets (issue 15): samples of unknown sex, chrY and MT.
# Three parties made by fixtures/chrx/make_chrx.py (its sets/ fixture, without missing calls
# apart from the females' chrY calls): two .bed filesets (SEX 0 for the unknown in one) and a
# VCF (haploid calls for males on non-PAR chrX and chrY and for everyone on MT; sex from a
# covariate column with NA), compressed and merged by dash, against `plink2 --glm` on the pooled
# .bed (the VCF imported by plink2 itself): plink2 drops the samples of unknown sex on chrX (with
# the sex covariate; keeps them under no-x-sex), fits chrY on the males, codes chrY and MT 0..1;
# then party c's GT:DS VCF (fractional dosages, haploid DS doubled at import) against plink2
# --glm on the same VCF imported with dosage=DS.
# Tolerance as scripts/check_chrx_live.sh: compare_plink2.py's default 1e-5 relative.
# Usage: bash scripts/check_sexsets_live.sh     (DASH_BIN: a dash binary; default: cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/dash_bin.sh
. scripts/chrx_parties.sh
command -v plink2 >/dev/null || { echo "check_sexsets_live.sh: plink2 not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 fixtures/chrx/make_chrx.py "$tmp" 0 15
d="$tmp/sets"
compress_chrx_parties "$d"
"$DASH_BIN" merge "$d"/{a,b,c}.parquet --out "$d/sex" 2>/dev/null
"$DASH_BIN" merge "$d"/{a,b,c}.parquet --no-x-sex --out "$d/nosex" 2>/dev/null
for mode in sex nosex; do
  modifier=$([ "$mode" = nosex ] && echo no-x-sex || true)
  plink2 --silent --bfile "$d/pooled" --pheno "$d/pooled.pheno" --covar "$d/pooled.covar" \
    --glm hide-covar omit-ref $modifier cols=+a1freq --max-corr 0.9999999 --out "$d/p2$mode"
done
# chrY and MT are compared too: compare_plink2.py counts chrY's missing calls over the males.
# plink2 2.00a3.5 refuses a few well-conditioned fits (CORR_TOO_HIGH) whatever --max-corr
# says: those are counted and left out, every other variant is compared.
for mode in sex nosex; do
  python3 scripts/compare_plink2.py --skip-plink2-refused --dash "$d/$mode.y.tsv.gz" \
    --plink2 "$d/p2$mode.y.glm.linear" --bed "$d/pooled"
done
# Haploid DS: party c's calls as GT:DS with fractional dosages (party_c_ds.vcf), imported by
# plink2 itself (`dosage=DS`: a sample's DS doubled where its GT in the record is haploid) and
# by dash, party c alone; the .bed of its GT calls tells compare_plink2.py the missing calls.
check_party_c_ds "$d" party_c_ds.vcf
echo "sex-chromosome sample sets live oracle: plink2 --glm agreement on chrX (unknown sex), chrY and MT, and on haploid DS"
