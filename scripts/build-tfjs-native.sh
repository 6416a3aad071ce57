#!/usr/bin/env bash
# Makes `require('@tensorflow/tfjs-node')` work on this machine (native TensorFlow backend),
# unattended and re-runnable. tfjs-node's own install script downloads libtensorflow from a
# host the project cannot reach; this builds the addon from the npm package's own sources.
#
#   1. If tfjs-node already loads and computes, nothing else happens (TFJS_REBUILD=1 forces a
#      rebuild; DEBUT_TF_NATIVE=off skips this script and leaves the wasm backend).
#   2. The npm package itself: node_modules/@tensorflow/tfjs-node (from `npm ci`, as an
#      optionalDependency). If npm removed it, its tarball is fetched with `npm pack` into
#      .cache/ and unpacked there.
#   3. TensorFlow 2.16.2's shared libraries (libtensorflow_cc.so.2, libtensorflow_framework.so.2)
#      come from Maven Central, org.tensorflow:tensorflow-core-native:1.0.0:linux-x86_64,
#      resolved with `mvn` and unpacked once into .cache/tfjs-native/ (stamped).
#   4. That jar has no C headers: scripts/native-tf/include holds Debut's own minimal header for
#      what the addon uses. Every function it declares is checked against the libraries' exported
#      symbols, then node-gyp builds the package's binding/*.cc against them (machine's Node
#      headers, no downloads) in a scratch copy under .cache/ (the package source is not patched).
#   5. The libraries are hard-linked into the package's deps/lib (the addon's rpath, as upstream)
#      and the addon goes where the package's node-pre-gyp loader looks
#      (lib/napi-v<N>/tfjs_binding.node); then a few ops are checked on the 'tensorflow' backend.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TFJS_VERSION=4.22.0
ARTIFACT=org.tensorflow:tensorflow-core-native:1.0.0
CLASSIFIER=linux-x86_64
TF_VERSION=2.16.2
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
PKG="$ROOT/node_modules/@tensorflow/tfjs-node"
HERE="$ROOT/scripts/native-tf"
CACHE="$ROOT/.cache/tfjs-native"
LIBDIR="$CACHE/lib-$TF_VERSION"
WORK="$ROOT/.cache/tfjs-node-build"
LIBS=(libtensorflow_cc.so.2 libtensorflow_framework.so.2)

TAG=tfjs-native
# shellcheck source=lib/addon-build.sh
source "$ROOT/scripts/lib/addon-build.sh"
T0=$(now)

case "${DEBUT_TF_NATIVE:-on}" in
  off | 0 | false) say "DEBUT_TF_NATIVE=${DEBUT_TF_NATIVE}: skipped (training runs on wasm)"; exit 0 ;;
esac
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || die "only linux-x86_64 is supported (found $(uname -s)-$(uname -m))"
[ -d "$ROOT/node_modules/@tensorflow/tfjs" ] || die "node_modules/@tensorflow/tfjs is missing: install npm dependencies first (npm ci)"

# ---------------------------------------------------------------- 1. already working?
VERIFY_JS='
const tfn = require("@tensorflow/tfjs-node");
const tf = require("@tensorflow/tfjs");
if (tf.getBackend() !== "tensorflow") throw new Error("backend is " + tf.getBackend());
const a = tf.tensor2d([[1, 2], [3, 4]]);
const m = tf.matMul(a, a, false, true).arraySync();
if (JSON.stringify(m) !== "[[5,11],[11,25]]") throw new Error("matMul gave " + JSON.stringify(m));
const g = tf.grad((x) => tf.gather(x, tf.tensor1d([2, 0, 2], "int32")).sum())(tf.tensor1d([1, 2, 3]));
if (JSON.stringify(g.arraySync()) !== "[1,0,2]") throw new Error("gather gradient gave " + g.arraySync());
const long = "a string longer than the twenty-two bytes kept inline";
const s = tf.tensor(["x", long]).dataSync().map((b) => Buffer.from(b).toString());
if (s[0] !== "x" || s[1] !== long) throw new Error("string tensor round trip gave " + JSON.stringify(s));
const bp = require("@mapbox/node-pre-gyp").find(require.resolve("@tensorflow/tfjs-node/package.json"));
console.log("TensorFlow " + require(bp).TF_Version + ", tfjs-node " + tfn.version["tfjs-node"]);
'
verify() { (cd "$ROOT" && TF_CPP_MIN_LOG_LEVEL=2 node -e "$VERIFY_JS"); }

if [ "${TFJS_REBUILD:-0}" != 1 ] && [ -f "$PKG/package.json" ] && out=$(verify 2>/dev/null); then
  say "tfjs-node already loads and computes ($out); nothing to do ($(since "$T0"))"
  exit 0
fi

# ---------------------------------------------------------------- toolchain
need_pkgs=()
command -v g++ >/dev/null 2>&1 || need_pkgs+=(g++)
command -v make >/dev/null 2>&1 || need_pkgs+=(make)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
command -v unzip >/dev/null 2>&1 || need_pkgs+=(unzip)
command -v readelf >/dev/null 2>&1 || need_pkgs+=(binutils)
command -v mvn >/dev/null 2>&1 || need_pkgs+=(maven)
command -v java >/dev/null 2>&1 || need_pkgs+=(default-jre-headless)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    t=$(now)
    say "installing ${need_pkgs[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null || ! apt-get install -y --no-install-recommends "${need_pkgs[@]}"; then
      apt-get update -qq
      apt-get install -y --no-install-recommends "${need_pkgs[@]}"
    fi
    say "installed in $(since "$t")"
  else
    echo "Missing system packages: ${need_pkgs[*]}. Run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

# ---------------------------------------------------------------- 2. the npm package
pkg_version() { node -p "require('$PKG/package.json').version" 2>/dev/null || echo none; }
if [ ! -f "$PKG/binding/tfjs_backend.cc" ] || [ "$(pkg_version)" != "$TFJS_VERSION" ]; then
  t=$(now)
  mkdir -p "$CACHE/npm"
  tgz="$CACHE/npm/tensorflow-tfjs-node-$TFJS_VERSION.tgz"
  if [ ! -s "$tgz" ]; then
    say "node_modules/@tensorflow/tfjs-node missing or not $TFJS_VERSION: npm pack @tensorflow/tfjs-node@$TFJS_VERSION"
    (cd "$CACHE/npm" && npm pack --silent "@tensorflow/tfjs-node@$TFJS_VERSION" >/dev/null) ||
      die "npm pack @tensorflow/tfjs-node@$TFJS_VERSION failed"
  fi
  rm -rf "$PKG.tmp.$$"
  mkdir -p "$PKG.tmp.$$"
  tar -xzf "$tgz" -C "$PKG.tmp.$$" --strip-components=1
  rm -rf "$PKG"
  mv "$PKG.tmp.$$" "$PKG"
  say "unpacked tfjs-node $TFJS_VERSION from the npm tarball ($(since "$t"))"
fi
# What `require('@tensorflow/tfjs-node')` needs at run time must resolve from the package.
missing=$(cd "$PKG" && node -e '
  const deps = ["@tensorflow/tfjs", "@mapbox/node-pre-gyp", "google-protobuf", "progress"];
  console.log(deps.filter((d) => { try { require.resolve(d + "/package.json"); return false; } catch { return true; } }).join(" "));
')
if [ -n "$missing" ]; then
  die "tfjs-node's runtime dependencies do not resolve: $missing (they are in package-lock.json; run npm ci)"
fi

# ---------------------------------------------------------------- 3. TensorFlow libraries
if [ ! -f "$LIBDIR/.stamp" ] || [ "$(cat "$LIBDIR/.stamp")" != "$ARTIFACT:$CLASSIFIER" ]; then
  t=$(now)
  say "resolving $ARTIFACT:jar:$CLASSIFIER with mvn (about 150 MB, once)"
  mkdir -p "$CACHE/mvn"
  mvn -B -q "$DEP_PLUGIN:copy" -Dartifact="$ARTIFACT:jar:$CLASSIFIER" -Dtransitive=false \
      -DoutputDirectory="$CACHE/mvn" > "$CACHE/mvn.log" 2>&1 ||
    { tail -n 30 "$CACHE/mvn.log" >&2; die "mvn could not resolve $ARTIFACT:jar:$CLASSIFIER (log: $CACHE/mvn.log)"; }
  jar=$(ls "$CACHE"/mvn/tensorflow-core-native-*-"$CLASSIFIER".jar 2>/dev/null | head -n1)
  [ -f "$jar" ] || die "mvn reported success but no jar in $CACHE/mvn"
  rm -rf "$LIBDIR.tmp"
  mkdir -p "$LIBDIR.tmp"
  for lib in "${LIBS[@]}"; do
    unzip -q -o -j "$jar" "org/tensorflow/internal/c_api/$CLASSIFIER/$lib" -d "$LIBDIR.tmp" ||
      die "$lib not found in $jar"
  done
  echo "$ARTIFACT:$CLASSIFIER" > "$LIBDIR.tmp/.stamp"
  rm -rf "$LIBDIR"
  mv "$LIBDIR.tmp" "$LIBDIR"
  rm -f "$jar" # the unpacked libraries are the cache (Maven keeps its own copy in ~/.m2)
  say "TensorFlow $TF_VERSION libraries in ${LIBDIR#"$ROOT"/} ($(since "$t"))"
else
  say "TensorFlow $TF_VERSION libraries cached in ${LIBDIR#"$ROOT"/}"
fi

# ---------------------------------------------------------------- 4. header check + build
t=$(now)
HEADER="$HERE/include/tensorflow/c/debut_tf_c_api.h"
[ -f "$HEADER" ] || die "missing $HEADER"
exported=$(readelf -W --dyn-syms "${LIBS[@]/#/$LIBDIR/}" | awk '$7 != "UND" { sub(/@.*/, "", $8); print $8 }' | sort -u)
# Functions the header declares (prototypes ending in '(', static inline helpers excluded).
declared=$(grep -v 'static inline' "$HEADER" | grep -oE '\b(TFE?_[A-Za-z0-9_]+)\(' | tr -d '(' | sort -u)
absent=$(comm -23 <(echo "$declared") <(echo "$exported"))
[ -z "$absent" ] || die "the header declares functions the libraries do not export: $absent"
say "header: $(echo "$declared" | wc -l) declared functions, all exported by the libraries"

NAPI_VERSION=$(cd "$ROOT" && node -p "const v=require('$PKG/package.json').binary.napi_versions;
  Math.max(...v.filter((x)=>x<=Number(process.versions.napi)))")
NODEDIR=$(npm config get nodedir 2>/dev/null || true)
if [ -z "$NODEDIR" ] || [ "$NODEDIR" = undefined ] || [ "$NODEDIR" = null ]; then
  NODEDIR=$(dirname "$(dirname "$(command -v node)")")
fi
[ -f "$NODEDIR/include/node/node_api.h" ] || die "Node headers not found under $NODEDIR/include/node (install Node's headers)"

rm -rf "$WORK"
mkdir -p "$WORK/binding"
cp "$PKG"/binding/*.cc "$PKG"/binding/*.h "$WORK/binding/"
sed -e "s|@TF_INCLUDE@|$HERE/include|" \
    -e "s|@TF_LIBDIR@|$LIBDIR|" \
    -e "s|@NAPI_VERSION@|$NAPI_VERSION|" \
    "$HERE/binding.gyp.in" > "$WORK/binding.gyp"
gyp_build "$WORK" tfjs_binding.node

# ---------------------------------------------------------------- 5. install + verify
mkdir -p "$PKG/deps/lib"
for lib in "${LIBS[@]}"; do
  # Hard links cost no space; a copy when the cache is on another file system.
  ln -f "$LIBDIR/$lib" "$PKG/deps/lib/$lib" 2>/dev/null || cp -f "$LIBDIR/$lib" "$PKG/deps/lib/$lib"
done
TARGET=$(cd "$ROOT" && node -p "require('@mapbox/node-pre-gyp').find(require.resolve('@tensorflow/tfjs-node/package.json'))")
mkdir -p "$(dirname "$TARGET")"
cp "$WORK/build/Release/tfjs_binding.node" "$TARGET.tmp.$$"
mv -f "$TARGET.tmp.$$" "$TARGET"
out=$(verify) || die "built addon at $TARGET does not work (see above)"
say "installed ${TARGET#"$ROOT"/}; verified ($out); total $(since "$T0")"
