#!/usr/bin/env bash
# Live oracle for the sex-chromosome sample sets (issue 15): samples of unknown sex, chrY and MT.
# Three parties made by fixtures/chrx/make_chrx.py (its sets/ fixture, without missing calls
# apart from the females' chrY calls): two .bed filesets (SEX 0 for the unknown in one) and a
# VCF (haploid calls for males on non-PAR chrX and chrY and for everyone on MT; sex from a
# covariate column with NA), compressed and merged by dash, against `plink2 --glm` on the pooled
# .bed (the VCF imported by plink2 itself): plink2 drops the samples of unknown sex on chrX (with
# the sex covariate; keeps them under no-x-sex), fits chrY on the males, codes chrY and MT 0..1.
# Tolerance as scripts/check_chrx_live.sh: compare_plink2.py's default 1e-5 relative.
# Usage: bash scripts/check_sexsets_live.sh     (DASH_BIN: a dash binary; default: cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/dash_bin.sh
command -v plink2 >/dev/null || { echo "check_sexsets_live.sh: plink2 not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 fixtures/chrx/make_chrx.py "$tmp" 0 15
d="$tmp/sets"
plink2 --silent --vcf "$d/party_c.vcf" --make-bed --out "$d/party_c" 2>/dev/null
python3 - "$d" <<'PY'
import sys
d = sys.argv[1]
sex = {}
for line in open(d + "/party_c.covar").read().splitlines()[1:]:
    f = line.split("\t")
    sex[f[1]] = {"1": "1", "2": "2"}.get(f[3], "0")
with open(d + "/party_c.fam") as fam:
    rows = [l.split() for l in fam]
with open(d + "/party_c.fam", "w") as fam:
    for r in rows:
        fam.write("F%s %s 0 0 %s -9\n" % (r[1], r[1], sex[r[1]]))
# The pooled .bed: every party's sample count is a multiple of 4, so a variant's pooled bytes
# are the parties' bytes one after the other (plink2 wrote party_c's .bim in the same order).
parties = ["party_a", "party_b", "party_c"]
beds = [open("%s/%s.bed" % (d, p), "rb").read()[3:] for p in parties]
sizes = [sum(1 for _ in open("%s/%s.fam" % (d, p))) // 4 for p in parties]
variants = len(open(d + "/party_a.bim").read().splitlines())
out = bytearray(b"\x6c\x1b\x01")
for v in range(variants):
    for bed, size in zip(beds, sizes):
        out += bed[v * size:(v + 1) * size]
open(d + "/pooled.bed", "wb").write(out)
open(d + "/pooled.bim", "w").write(open(d + "/party_a.bim").read())
with open(d + "/pooled.fam", "w") as fam:
    for p in parties:
        fam.write(open("%s/%s.fam" % (d, p)).read())
with open(d + "/pooled.pheno", "w") as ph, open(d + "/pooled.covar", "w") as cv:
    ph.write("#FID\tIID\ty\n")
    cv.write("#FID\tIID\tage\n")
    for p in parties:
        ph.writelines(open("%s/%s.pheno" % (d, p)).read().splitlines(True)[1:])
        for line in open("%s/%s.covar" % (d, p)).read().splitlines()[1:]:
            cv.write("\t".join(line.split("\t")[:3]) + "\n")
PY
for p in a b; do
  "$DASH_BIN" compress "$d/party_$p.bed" --pheno "$d/party_$p.pheno" --covar "$d/party_$p.covar" \
    --min-cell 1 --build 38 --out "$d/$p.parquet" 2>/dev/null
done
"$DASH_BIN" compress "$d/party_c.vcf" --pheno "$d/party_c.pheno" --covar "$d/party_c.covar" \
  --covar-name age --sex-col sex --min-cell 1 --build 38 --out "$d/c.parquet" 2>/dev/null
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
echo "sex-chromosome sample sets live oracle: plink2 --glm agreement on chrX (unknown sex), chrY and MT"
