# Sourced by the chrX live checks (scripts/check_chrx_live.sh, check_sexsets_live.sh):
# `compress_chrx_parties DIR` imports DIR/party_c.vcf with plink2 (a haploid call as the
# homozygous one), pools the three parties into DIR/pooled.* (scripts/pool_parties.py) and
# compresses them with dash into DIR/{a,b,c}.parquet (--min-cell 1 --build 38; party c's sex
# from its covariate column). `check_party_c_ds DIR VCF` checks party c of a sets fixture from a
# GT:DS VCF of its calls (DIR/VCF) against plink2 --glm on that VCF imported with dosage=DS.
# Needs DASH_BIN (scripts/dash_bin.sh).
compress_chrx_parties() {
  local d=$1 p
  plink2 --silent --vcf "$d/party_c.vcf" --make-bed --out "$d/party_c" 2>/dev/null
  python3 scripts/pool_parties.py "$d"
  for p in a b; do
    "$DASH_BIN" compress "$d/party_$p.bed" --pheno "$d/party_$p.pheno" --covar "$d/party_$p.covar" \
      --min-cell 1 --build 38 --out "$d/$p.parquet" 2>/dev/null
  done
  "$DASH_BIN" compress "$d/party_c.vcf" --pheno "$d/party_c.pheno" --covar "$d/party_c.covar" \
    --covar-name age --sex-col sex --min-cell 1 --build 38 --out "$d/c.parquet" 2>/dev/null
}

# Party c of the sets fixture in DIR from its GT:DS VCF DIR/VCF, compressed and merged alone by
# dash, against plink2 --glm on the same VCF imported by plink2 itself with dosage=DS (its sex
# from the covariate column, given to plink2 with --update-sex); the .bed of its GT calls
# (plink2's import of DIR/party_c.vcf) tells compare_plink2.py the missing calls.
check_party_c_ds() {
  local d=$1 vcf=$2 name=${2%.vcf} f
  [ -f "$d/party_c.bed" ] || plink2 --silent --vcf "$d/party_c.vcf" --make-bed --out "$d/party_c" 2>/dev/null
  awk 'NR == 1 { print "#IID\tSEX"; next } { print $2 "\t" ($4 == "NA" ? "0" : $4) }' \
    "$d/party_c.covar" > "$d/c.sex"
  for f in pheno covar; do cut -f2- "$d/party_c.$f" | sed '1s/^IID/#IID/' > "$d/c_iid.$f"; done
  "$DASH_BIN" compress "$d/$vcf" --pheno "$d/party_c.pheno" --covar "$d/party_c.covar" \
    --covar-name age --sex-col sex --min-cell 1 --build 38 --out "$d/$name.parquet" 2>/dev/null
  "$DASH_BIN" merge "$d/$name.parquet" --out "$d/$name" 2>/dev/null
  plink2 --silent --vcf "$d/$vcf" dosage=DS --update-sex "$d/c.sex" \
    --pheno "$d/c_iid.pheno" --covar "$d/c_iid.covar" --covar-name age \
    --glm hide-covar omit-ref cols=+a1freq --max-corr 0.9999999 --out "$d/p2$name" 2>/dev/null
  python3 scripts/compare_plink2.py --skip-plink2-refused --dash "$d/$name.y.tsv.gz" \
    --plink2 "$d/p2$name.y.glm.linear" --bed "$d/party_c"
}
