#!/usr/bin/env bash
# Validate GWAS-SSF summary statistics (and their -meta.yaml) with the GWAS Catalog validator.
#
#   scripts/validate_gwas_ssf.sh [options] FILE.tsv.gz [FILE.tsv.gz ...]
#
# Options:
#   --venv DIR        venv holding the pinned validator; created and filled if missing
#                     (default: $GWAS_SSF_VENV or ${TMPDIR:-/tmp}/gwas-ssf-1.0.25)
#   -m, --min-rows N  minimum data rows (validator default 100000; use e.g. 100 for test data)
#   -z, --p-zero      allow p_value == 0 (also requires analysis_software in the metadata)
#   --no-meta         do not check FILE-meta.yaml
#   --lenient-meta    spec-mandatory metadata keys missing -> warning instead of error
#   --tabix           also check `tabix -s1 -b2 -e2 -S1` can index the file (needs BGZF + sorted)
#   --install-only    only make sure the venv exists, validate nothing
#
# Exit status: 0 if every file (and its metadata) passes, 1 if any fails, 2 on usage/install error.
# Python: $GWAS_SSF_PYTHON, else python3.11, else python3 (the pins need Python 3.11; pandas 1.5.3
# has no wheels for 3.12+). See docs/gwas-ssf-notes.md for what the validator checks.
set -uo pipefail

SSF_VERSION=1.0.25
VENV="${GWAS_SSF_VENV:-${TMPDIR:-/tmp}/gwas-ssf-${SSF_VERSION}}"
MIN_ROWS=100000
P_ZERO=0
CHECK_META=1
LENIENT_META=0
CHECK_TABIX=0
INSTALL_ONLY=0
FILES=()

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --venv) VENV="${2:?--venv needs a directory}"; shift 2 ;;
        --venv=*) VENV="${1#*=}"; shift ;;
        -m|--min-rows) MIN_ROWS="${2:?--min-rows needs a number}"; shift 2 ;;
        --min-rows=*) MIN_ROWS="${1#*=}"; shift ;;
        -z|--p-zero) P_ZERO=1; shift ;;
        --no-meta) CHECK_META=0; shift ;;
        --lenient-meta) LENIENT_META=1; shift ;;
        --tabix) CHECK_TABIX=1; shift ;;
        --install-only) INSTALL_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; FILES+=("$@"); break ;;
        -*) echo "validate_gwas_ssf: unknown option $1" >&2; usage >&2; exit 2 ;;
        *) FILES+=("$1"); shift ;;
    esac
done

case "$MIN_ROWS" in ''|*[!0-9]*) echo "validate_gwas_ssf: --min-rows must be a non-negative integer" >&2; exit 2 ;; esac
if [ "$INSTALL_ONLY" = 0 ] && [ ${#FILES[@]} -eq 0 ]; then
    usage >&2
    exit 2
fi

# ---------------------------------------------------------------- install (idempotent)
pick_python() {
    if [ -n "${GWAS_SSF_PYTHON:-}" ]; then echo "$GWAS_SSF_PYTHON"; return; fi
    if command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import venv' >/dev/null 2>&1; then
        echo python3.11
    else
        echo python3
    fi
}

MARKER="$VENV/.gwas-ssf-${SSF_VERSION}-ok"
if [ ! -f "$MARKER" ] || [ ! -x "$VENV/bin/gwas-ssf" ]; then
    PY="$(pick_python)"
    PYVER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" || {
        echo "validate_gwas_ssf: no usable Python ($PY)" >&2; exit 2; }
    [ "$PYVER" = "3.11" ] || echo "validate_gwas_ssf: warning: Python $PYVER; gwas-sumstats-tools $SSF_VERSION is only known to install on 3.11" >&2
    if [ -e "$VENV" ] && [ ! -f "$VENV/pyvenv.cfg" ]; then
        echo "validate_gwas_ssf: $VENV exists and is not a venv; refusing to touch it" >&2; exit 2
    fi
    rm -rf "$VENV"
    echo "validate_gwas_ssf: installing gwas-sumstats-tools==$SSF_VERSION into $VENV ($PY, Python $PYVER)" >&2
    "$PY" -m venv "$VENV" || { echo "validate_gwas_ssf: venv creation failed" >&2; exit 2; }
    # numpy<2: pandas 1.5.3 (pinned by the tool) is built against numpy 1.x ABI.
    # click<8.2: typer 0.7 (pinned by the tool) breaks with newer click.
    # six: imported by bsub, which the CLI imports but does not declare.
    if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            "gwas-sumstats-tools==${SSF_VERSION}" "numpy<2" "click<8.2" six >&2; then
        echo "validate_gwas_ssf: pip install failed" >&2; exit 2
    fi
    got="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("gwas-sumstats-tools"))' 2>/dev/null)"
    if [ "$got" != "$SSF_VERSION" ] || ! "$VENV/bin/gwas-ssf" --help >/dev/null 2>&1; then
        echo "validate_gwas_ssf: installed validator does not run (version '$got')" >&2; exit 2
    fi
    touch "$MARKER"
fi
[ "$INSTALL_ONLY" = 1 ] && { echo "validate_gwas_ssf: validator ready in $VENV"; exit 0; }

# ---------------------------------------------------------------- metadata checker
# Uses the installed tool's own pydantic model (SumStatsMetadata), which `gwas-ssf validate`
# never applies itself, plus file-consistency and GWAS-SSF v1.x spec checks.
META_CHECK='
import hashlib, os, sys, yaml
from gwas_sumstats_tools.schema.metadata import SumStatsMetadata, SampleMetadata

data, lenient, p_zero = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1"
meta_path = data + "-meta.yaml"
errors, warnings = [], []
def err(m): errors.append(m)
def spec(m): (warnings if lenient else errors).append(m)

if not os.path.isfile(meta_path):
    print(f"  meta: missing {meta_path}"); sys.exit(1)
try:
    with open(meta_path) as fh:
        meta = yaml.safe_load(fh)
except yaml.YAMLError as e:
    print(f"  meta: not valid YAML: {e}"); sys.exit(1)
if not isinstance(meta, dict):
    print("  meta: top level is not a mapping"); sys.exit(1)

try:
    SumStatsMetadata.parse_obj(meta)
except Exception as e:
    for line in str(e).splitlines()[1:]:
        err("schema: " + line.strip())

known = set(SumStatsMetadata.__fields__) | {"hm_code_definition"}
sample_keys = set(SampleMetadata.__fields__)
for k in meta:
    if k in sample_keys:
        err(f"{k!r} must be nested under samples: (a list of mappings); top level it is ignored")
    elif k not in known:
        warnings.append(f"unknown key {k!r} (ignored by the schema)")

name = os.path.basename(data)
dfn, dmd5, ftype = meta.get("data_file_name"), meta.get("data_file_md5sum"), meta.get("file_type")
if dfn != name:
    err(f"data_file_name is {dfn!r}, file is {name!r}")
md5 = hashlib.md5()
with open(data, "rb") as fh:
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        md5.update(chunk)
if str(dmd5 or "").lower() != md5.hexdigest():
    err(f"data_file_md5sum {dmd5!r} != md5 of the file {md5.hexdigest()}")
if not str(ftype or "").startswith("GWAS-SSF v"):
    err(f"file_type {ftype!r} should be GWAS-SSF v1.0")

# Mandatory per the GWAS-SSF spec (Table 2), not enforced by the pydantic model.
def present(v): return v not in (None, "", [], {})
for k in ("genome_assembly", "coordinate_system", "trait_description", "genotyping_technology"):
    if not present(meta.get(k)):
        spec(f"spec-mandatory key {k!r} missing/empty")
for k in ("is_sorted", "is_harmonised"):
    if not isinstance(meta.get(k), bool):
        spec(f"spec-mandatory boolean {k!r} missing")
samples = meta.get("samples")
if not isinstance(samples, list) or not samples:
    spec("spec-mandatory samples: list missing (holds sample_size, sample_ancestry_category)")
else:
    for i, s in enumerate(samples):
        s = s if isinstance(s, dict) else {}
        if not isinstance(s.get("sample_size"), int):
            spec(f"samples[{i}].sample_size missing or not an integer")
        if not present(s.get("sample_ancestry_category")):
            spec(f"samples[{i}].sample_ancestry_category missing (spec-mandatory)")
if p_zero and not present(meta.get("analysis_software")):
    err("p-values of 0 allowed but analysis_software is missing (spec requires it)")

# is_sorted: true -> chromosome blocks contiguous and ascending, positions non-decreasing.
if meta.get("is_sorted") is True:
    import gzip
    opener = gzip.open if data.endswith(".gz") else open
    with opener(data, "rt") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        try:
            ci, pi = header.index("chromosome"), header.index("base_pair_location")
        except ValueError:
            ci = pi = None
        if ci is not None:
            seen, last_c, last_p = set(), None, -1
            for lineno, line in enumerate(fh, start=2):
                f = line.rstrip("\n").split("\t")
                try:
                    c, p = int(f[ci]), int(f[pi])
                except (ValueError, IndexError):
                    err(f"line {lineno}: chromosome/base_pair_location not integers"); break
                if c != last_c:
                    if c in seen or (last_c is not None and c < last_c):
                        err(f"is_sorted: true but chromosome {c} out of order at line {lineno}"); break
                    seen.add(c); last_c, last_p = c, -1
                if p < last_p:
                    err(f"is_sorted: true but position decreases at line {lineno}"); break
                last_p = p

for w in warnings: print("  meta warning: " + w)
for e in errors: print("  meta error: " + e)
sys.exit(1 if errors else 0)
'

# ---------------------------------------------------------------- validate
export COLUMNS="${COLUMNS:-160}"   # keep rich tables readable in CI logs
failed=0
for f in "${FILES[@]}"; do
    echo "=== $f"
    ok=1
    if [ ! -f "$f" ]; then
        echo "  missing file"; failed=1; continue
    fi
    args=(validate "$f" --min-rows "$MIN_ROWS")
    [ "$P_ZERO" = 1 ] && args+=(--p-zero)
    "$VENV/bin/gwas-ssf" "${args[@]}" 2>&1 | sed 's/^/  /'
    rc=${PIPESTATUS[0]}
    if [ "$rc" -ne 0 ]; then
        echo "  gwas-ssf validate: FAILED (exit $rc)"; ok=0
    fi
    if [ "$CHECK_META" = 1 ]; then
        if ! "$VENV/bin/python" -c "$META_CHECK" "$f" "$LENIENT_META" "$P_ZERO"; then
            echo "  metadata: FAILED"; ok=0
        else
            echo "  metadata: ok"
        fi
    fi
    if [ "$CHECK_TABIX" = 1 ]; then
        if ! command -v tabix >/dev/null 2>&1; then
            echo "  tabix: not installed (apt-get install tabix)"; ok=0
        else
            tmp="$(mktemp -d)"
            ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$tmp/$(basename "$f")"
            if tabix -f -s1 -b2 -e2 -S1 "$tmp/$(basename "$f")" 2>"$tmp/err"; then
                echo "  tabix: ok"
            else
                echo "  tabix: FAILED: $(tr '\n' ' ' <"$tmp/err")"; ok=0
            fi
            rm -rf "$tmp"
        fi
    fi
    if [ "$ok" = 1 ]; then echo "  PASS $f"; else echo "  FAIL $f"; failed=1; fi
done
exit "$failed"
