# Sourced by the scripts that run dash: sets DASH_BIN to the dev-profile binary, as `cargo test`
# builds it (Cargo.toml optimises the dependencies there), so scripts and tests share one build
# of the dependencies; CARGO_TARGET_DIR and .cargo/config are honoured because cargo says where
# the binary went. A DASH_BIN already set is kept.
if [ -z "${DASH_BIN:-}" ]; then
  DASH_BIN=$(cargo build --quiet --bin dash --message-format=json-render-diagnostics |
    sed -n 's/^{"reason":"compiler-artifact".*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
  if [ -z "$DASH_BIN" ]; then
    echo "$(basename "$0"): cargo build did not report the dash binary" >&2
    exit 1
  fi
fi
