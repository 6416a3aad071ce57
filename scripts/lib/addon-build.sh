# Shared by scripts/build-faiss.sh and scripts/build-tfjs-native.sh (sourced, not run): logging
# with the caller's tag, timing, and one node-gyp build of a scratch copy of an npm package's
# native sources against the machine's Node headers (never downloaded).
# The caller sets TAG, ROOT, NODEDIR and NAPI_VERSION before sourcing.
say() { printf '\033[1m[%s]\033[0m %s\n' "$TAG" "$*"; }
die() { printf '\033[1;31m[%s]\033[0m %s\n' "$TAG" "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# gyp_build <work dir> <addon file name> [extra words for the log line]: builds <work dir>'s
# binding.gyp; dies with the log's tail when the build fails or makes no <addon file name>.
gyp_build() {
  local work=$1 addon=$2 extra=${3:-}
  local node_gyp="$ROOT/node_modules/.bin/node-gyp" t
  [ -x "$node_gyp" ] || die "node-gyp is not installed (devDependency)"
  say "node-gyp build: nodedir=$NODEDIR napi=$NAPI_VERSION${extra:+ $extra} jobs=$(nproc)"
  t=$(now)
  (
    cd "$work"
    "$node_gyp" rebuild --release --nodedir="$NODEDIR" --jobs="$(nproc)" --loglevel=warn
  ) > "$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; die "node-gyp build failed (full log: $work/build.log)"; }
  [ -f "$work/build/Release/$addon" ] || die "build produced no $addon"
  say "addon compiled in $(since "$t")"
}
