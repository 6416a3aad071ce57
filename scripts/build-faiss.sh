#!/usr/bin/env bash
# Makes `require('faiss-node')` work on this machine, unattended and re-runnable.
#
#   1. Debian's libfaiss-dev is installed (installed here when missing and we are root).
#   2. If faiss-node already loads, nothing else happens (FAISS_REBUILD=1 forces a rebuild).
#   3. faiss-node's own prebuilt binary is tried (prebuild-install, short timeout; it needs
#      GitHub, which is unreachable on the project's machines).
#   4. Otherwise the addon is built with node-gyp from the npm package's own source
#      (node_modules/faiss-node/src/*.cc) against the system faiss and the machine's Node
#      headers (no downloads), in a scratch copy under .cache/ so the package is never patched.
#      faiss 1.7.3 only has faiss::Index::idx_t; faiss-node expects faiss::idx_t, so a compat
#      header (scripts/faiss/faiss-compat.h) is force-included when the headers lack it.
#   5. The .node file goes to node_modules/faiss-node/build/Release/faiss-node.node, where the
#      package's `bindings` loader looks, and is verified by a tiny search.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PKG="$ROOT/node_modules/faiss-node"
HERE="$ROOT/scripts/faiss"
WORK="$ROOT/.cache/faiss-node-build"
TARGET="$PKG/build/Release/faiss-node.node"

TAG=faiss
# shellcheck source=lib/addon-build.sh
source "$ROOT/scripts/lib/addon-build.sh"
T0=$(now)

[ -d "$PKG" ] || die "node_modules/faiss-node is missing: install npm dependencies first (npm ci)"

# ---------------------------------------------------------------- 1. system faiss + toolchain
apt_install() {
  # apt-get update only when the package lists are missing or the first attempt fails.
  export DEBIAN_FRONTEND=noninteractive
  if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null || ! apt-get install -y --no-install-recommends "$@"; then
    apt-get update -qq
    apt-get install -y --no-install-recommends "$@"
  fi
}
need_pkgs=()
dpkg -s libfaiss-dev >/dev/null 2>&1 || need_pkgs+=(libfaiss-dev)
command -v g++ >/dev/null 2>&1 || need_pkgs+=(g++)
command -v make >/dev/null 2>&1 || need_pkgs+=(make)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    t=$(now)
    say "installing ${need_pkgs[*]} from Debian"
    apt_install "${need_pkgs[@]}"
    say "installed in $(since "$t")"
  else
    echo "Missing system packages: ${need_pkgs[*]}. Run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
else
  say "libfaiss-dev $(dpkg-query -W -f='${Version}' libfaiss-dev) present"
fi

# ---------------------------------------------------------------- 2. already working?
VERIFY_JS='
const f = require("faiss-node");
const ix = new f.IndexFlatIP(3);
ix.add([1, 0, 0,  0, 1, 0,  0.6, 0.8, 0]);
const r = ix.search([0.6, 0.8, 0], 2);
if (r.labels[0] !== 2 || Math.abs(r.distances[0] - 1) > 1e-5 || r.labels[1] !== 1) {
  throw new Error("unexpected search result " + JSON.stringify(r));
}
const h = f.Index.fromFactory(3, "HNSW8,Flat", f.MetricType.METRIC_INNER_PRODUCT);
h.add([1, 0, 0,  0, 1, 0,  0.6, 0.8, 0]);
if (h.search([0.6, 0.8, 0], 1).labels[0] !== 2) throw new Error("HNSW search failed");
'
verify() { (cd "$ROOT" && node -e "$VERIFY_JS") ; }

if [ "${FAISS_REBUILD:-0}" != 1 ] && verify 2>/dev/null; then
  say "faiss-node already loads and searches correctly; nothing to do ($(since "$T0"))"
  exit 0
fi

# ---------------------------------------------------------------- 3. upstream prebuilt
if [ "${FAISS_REBUILD:-0}" != 1 ] && [ -x "$ROOT/node_modules/.bin/prebuild-install" ]; then
  t=$(now)
  say "trying faiss-node's prebuilt binary (prebuild-install, 20 s timeout)"
  if (cd "$PKG" && timeout 20 "$ROOT/node_modules/.bin/prebuild-install" --runtime napi >/dev/null 2>&1) && verify 2>/dev/null; then
    say "prebuilt binary installed and verified ($(since "$t"))"
    exit 0
  fi
  say "no prebuilt binary reachable ($(since "$t")); building from the package source"
fi

# ---------------------------------------------------------------- 4. build from source
t=$(now)
FAISS_INCLUDE=/usr/include
[ -f "$FAISS_INCLUDE/faiss/Index.h" ] || die "faiss headers not found in $FAISS_INCLUDE/faiss"
FAISS_LIBDIR=$(dirname "$(dpkg -L libfaiss-dev 2>/dev/null | grep -E '/libfaiss\.(so|a)$' | head -n1)")
[ -n "$FAISS_LIBDIR" ] && [ "$FAISS_LIBDIR" != . ] || die "libfaiss not found (dpkg -L libfaiss-dev)"
# Debian ships libfaiss as a static archive only: then its own dependencies must be linked too.
EXTRA_LIBS='"-llapack", "-lblas"'
[ -f "$FAISS_LIBDIR/libfaiss.so" ] && EXTRA_LIBS=''

# Does `faiss::idx_t` exist in these headers (faiss >= 1.7.4)? If not, force-include the alias.
probe=$(mktemp --suffix=.cc)
trap 'rm -f "$probe"' EXIT
printf '#include <faiss/Index.h>\nfaiss::idx_t probe_ = 0;\n' > "$probe"
FORCE_INCLUDE=''
if ! g++ -std=c++17 -fsyntax-only -I"$FAISS_INCLUDE" "$probe" 2>/dev/null; then
  FORCE_INCLUDE="\"-include\", \"$HERE/faiss-compat.h\""
  say "faiss headers have no faiss::idx_t (faiss < 1.7.4): force-including scripts/faiss/faiss-compat.h"
fi

NAPI_INCLUDE=$(cd "$ROOT" && node -p "require('node-addon-api').include_dir" | tr -d '"')
case "$NAPI_INCLUDE" in /*) ;; *) NAPI_INCLUDE="$ROOT/$NAPI_INCLUDE" ;; esac
[ -f "$NAPI_INCLUDE/napi.h" ] || NAPI_INCLUDE="$ROOT/node_modules/node-addon-api"
[ -f "$NAPI_INCLUDE/napi.h" ] || die "node-addon-api headers not found"
# Highest N-API version the package supports that this Node also supports.
NAPI_VERSION=$(cd "$ROOT" && node -p "const v=(require('faiss-node/package.json').binary||{}).napi_versions||[6];
  Math.max(...v.filter((x)=>x<=Number(process.versions.napi)))")

NODEDIR=$(npm config get nodedir 2>/dev/null || true)
if [ -z "$NODEDIR" ] || [ "$NODEDIR" = undefined ] || [ "$NODEDIR" = null ]; then
  NODEDIR=$(dirname "$(dirname "$(command -v node)")")
fi
[ -f "$NODEDIR/include/node/node_api.h" ] || die "Node headers not found under $NODEDIR/include/node (install Node's headers)"

# Fresh scratch copy of the package source every run: the package itself is never modified.
rm -rf "$WORK"
mkdir -p "$WORK/src"
cp "$PKG"/src/*.cc "$WORK/src/"
cp "$PKG"/src/*.h "$WORK/src/" 2>/dev/null || true
SOURCES=$(cd "$WORK" && ls src/*.cc | sed 's/.*/"&"/' | paste -sd, -)
sed -e "s|@SOURCES@|$SOURCES|" \
    -e "s|@NAPI_INCLUDE@|$NAPI_INCLUDE|" \
    -e "s|@FAISS_INCLUDE@|$FAISS_INCLUDE|" \
    -e "s|@FAISS_LIBDIR@|$FAISS_LIBDIR|" \
    -e "s|@NAPI_VERSION@|$NAPI_VERSION|" \
    -e "s|@FORCE_INCLUDE@|$FORCE_INCLUDE|" \
    -e "s|@EXTRA_LIBS@|$EXTRA_LIBS|" \
    "$HERE/binding.gyp.in" > "$WORK/binding.gyp"

gyp_build "$WORK" faiss-node.node "libs=$FAISS_LIBDIR"

# ---------------------------------------------------------------- 5. install + verify
mkdir -p "$(dirname "$TARGET")"
cp "$WORK/build/Release/faiss-node.node" "$TARGET.tmp.$$"
mv -f "$TARGET.tmp.$$" "$TARGET"
if ! verify; then
  die "built addon at $TARGET does not work (see above)"
fi
say "installed $TARGET; verified flat + HNSW search; total $(since "$T0")"
