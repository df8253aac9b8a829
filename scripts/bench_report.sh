#!/usr/bin/env bash
# Times `dash report` on a synthetic GWAS-SSF file of M rows (default 10 M), made once by
# scripts/make_report_bench_data.py and compressed with bgzip (tabix package).
#   bash scripts/bench_report.sh [DIR] [M]
# Uses the release build. The data (~400 MB for 10 M rows) stays in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-bench-report}
m=${2:-10000000}
mkdir -p "$dir"
command -v bgzip >/dev/null || { echo "bench_report.sh: bgzip not found (apt-get install tabix)" >&2; exit 2; }
if [ ! -s "$dir/b.y.tsv.gz" ]; then
    echo "making $m rows in $dir/b.y.tsv.gz"
    python3 scripts/make_report_bench_data.py "$m" | bgzip -@"$(nproc)" -l 1 > "$dir/b.y.tsv.gz.tmp"
    mv "$dir/b.y.tsv.gz.tmp" "$dir/b.y.tsv.gz"
fi
cargo build --release -q
bin=${CARGO_TARGET_DIR:-target}/release/dash
/usr/bin/time -f "dash report: %e s wall, %U s user, %S s sys, %M KB max RSS" "$bin" report "$dir/b"
ls -l "$dir"/b.*
