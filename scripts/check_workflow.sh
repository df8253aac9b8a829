#!/usr/bin/env bash
# The Snakemake workflow (workflow/Snakefile) on the bundled fixtures, run by .ci/run:
#   1. mode=all with chromosome shards, one shard failing: the other jobs finish, nothing final
#      is written;
#   2. the rerun redoes only the failed shard and what depends on it;
#   3. the GWAS-SSF rows equal, byte for byte, one `dash compress` per party + one `dash merge`
#      (also consortium mode on the whole summaries, merged per chromosome with --region);
#      the outputs are tabix-indexed and their meta.yaml holds the final file's MD5.
# Needs snakemake, bgzip and tabix. Usage: bash scripts/check_workflow.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
. scripts/dash_bin.sh
fixtures=$(pwd)/fixtures

# The parties' table, in the interface the workflow documents.
{
  printf 'party\tgenotypes\tpheno\tcovar\targs\n'
  for p in a b c; do
    printf '%s\t%s\t%s\t%s\t%s\n' "$p" "$fixtures/party_$p.bed" "$fixtures/party_$p.pheno" \
      "$fixtures/party_$p.covar" "--covar-categorical site"
  done
} >"$work/parties.tsv"

# A dash that fails party b's chromosome 7 shard while the marker file exists.
marker="$work/fail-b-7"
touch "$marker"
cat >"$work/dash-flaky" <<EOF
#!/usr/bin/env bash
if [ -e "$marker" ] && [[ " \$* " == *" --region 7 "* ]] && [[ " \$* " == *" --party b "* ]]; then
  echo "dash-flaky: injected failure of party b, chromosome 7" >&2
  exit 1
fi
exec "$DASH_BIN" "\$@"
EOF
chmod +x "$work/dash-flaky"

run() {
  snakemake -s workflow/Snakefile --cores 2 --keep-going --directory "$work" \
    --config mode=all parties="$work/parties.tsv" out="$work/out" dash="$work/dash-flaky" \
    chromosomes=1-22 "$@"
}

echo "workflow: run 1 (party b, chromosome 7 fails)"
if run >"$work/run1.log" 2>&1; then
  echo "workflow: run 1 succeeded although a shard failed" >&2
  exit 1
fi
test ! -e "$work/out/parties/b/7.parquet"
test ! -e "$work/out/y1.tsv.gz"
test -e "$work/out/parties/b/8.parquet"
test -e "$work/out/merge/8/gwas.y1.tsv.gz"
# Every output that exists now, with its modification time: the rerun must not touch them.
(cd "$work/out" && find parties merge -type f -printf '%p %T@\n' | sort) >"$work/before.txt"

echo "workflow: run 2 (rerun after the failure is fixed)"
rm "$marker"
run >"$work/run2.log" 2>&1 || { tail -30 "$work/run2.log"; exit 1; }
(cd "$work/out" && find parties merge -type f -printf '%p %T@\n' | sort) >"$work/after.txt"
changed=$(comm -13 "$work/before.txt" "$work/after.txt" | cut -d' ' -f1)
# Rewritten: the failed shard, its party's manifest and chromosome 7's merge, nothing else.
unexpected=$(grep -v -E '^(parties/b/7\.(parquet|suppressed\.tsv)|parties/b/manifest\.tsv|merge/7/.*)$' <<<"$changed" || true)
if [ -n "$unexpected" ] || ! grep -qx 'parties/b/7.parquet' <<<"$changed" ||
  ! grep -qx 'merge/7/gwas.y1.tsv.gz' <<<"$changed"; then
  echo "workflow: the rerun rewrote more or less than the failed shard's outputs: $changed" >&2
  exit 1
fi

echo "workflow: compare with one compress per party and one merge"
ref="$work/reference"
mkdir -p "$ref"
for p in a b c; do
  "$DASH_BIN" compress "$fixtures/party_$p.bed" --pheno "$fixtures/party_$p.pheno" \
    --covar "$fixtures/party_$p.covar" --covar-categorical site --party "$p" \
    --out "$ref/$p.parquet" 2>/dev/null
done
"$DASH_BIN" merge "$ref"/{a,b,c}.parquet --out "$ref/gwas" 2>/dev/null
for pheno in y1 y2; do
  cmp <(bgzip -dc "$ref/gwas.$pheno.tsv.gz") <(bgzip -dc "$work/out/$pheno.tsv.gz")
  cmp <(sort "$ref/gwas.$pheno.skipped.tsv") <(sort "$work/out/$pheno.skipped.tsv")
  md5=$(md5sum "$work/out/$pheno.tsv.gz" | cut -d' ' -f1)
  grep -q "^data_file_md5sum: $md5$" "$work/out/$pheno.tsv.gz-meta.yaml"
  grep -q "^data_file_name: '$pheno.tsv.gz'$" "$work/out/$pheno.tsv.gz-meta.yaml"
  rows=$(tabix "$work/out/$pheno.tsv.gz" 22 | wc -l)
  [ "$rows" -gt 0 ]
done
grep -q "data:image/png;base64," "$work/out/report.html"
echo "workflow: consortium mode on whole summaries (merge --region per chromosome)"
{
  printf 'party\tsummary\n'
  for p in a b c; do printf '%s\t%s\n' "$p" "$ref/$p.parquet"; done
} >"$work/summaries.tsv"
snakemake -s workflow/Snakefile --cores 2 --directory "$work" \
  --config mode=consortium summaries="$work/summaries.tsv" out="$work/consortium" \
  dash="$DASH_BIN" chromosomes=1-22 'phenotypes=[y1,y2]' >"$work/run3.log" 2>&1 ||
  { tail -30 "$work/run3.log"; exit 1; }
for pheno in y1 y2; do
  cmp <(bgzip -dc "$ref/gwas.$pheno.tsv.gz") <(bgzip -dc "$work/consortium/$pheno.tsv.gz")
done
echo "workflow: failure, rerun of only the missing outputs, byte-identical rows (party+consortium and consortium modes) passed"
