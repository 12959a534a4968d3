#!/usr/bin/env bash
# Builds what ships into pkg/ and packs it:
#   pkg/web/     wasm-pack's --target web output (ES module glue, .wasm, .d.ts)
#   pkg/embed/   the script-tag embed: one minified classic script defining window.GiosgVisitor (its
#                source map beside it), and its .wasm
#   pkg/index.js  the package entry: packaging/index.js and entry.js bundled with the glue and the
#                 VisitorError class into one minified ES module (index.js.map beside it), beside
#                 web/ whose .wasm it loads
#   pkg/index.d.ts, package.json, README.md             the npm package around them (packaging/)
#   pkg/embed.d.ts                                      the types of the embed's global (window.GiosgVisitor)
#   pkg/react.js, react-boundary.js, vue.js, visitor-store.js, react.d.ts, vue.d.ts
#                                                       the React and Vue bindings (packaging/)
#   pkg/LICENSE-MIT, LICENSE-APACHE                     the licenses (MIT OR Apache-2.0)
#   target/package/giosg-visitor-<version>.tgz          `npm pack` of pkg/, as a user would install it
# Installs the tools it needs first (scripts/setup.sh, without the browsers); scripts/lib.sh puts
# them on PATH.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_setup --no-browsers
# wasm-pack downloads wasm-opt from GitHub when none is on PATH: never let it.
command -v wasm-opt >/dev/null || { echo "package.sh: no wasm-opt on PATH (scripts/setup.sh installs npm's binaryen)" >&2; exit 1; }
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

rm -rf pkg
wasm-pack --quiet build --release --target web --out-dir pkg/web --no-pack -- --features js
rm -f pkg/web/.gitignore pkg/web/giosg_visitor_bg.wasm.d.ts
# The VisitorError class (src/js/visitor_error.js) that wasm-bindgen copies under a hashed folder
# goes to a fixed name beside the glue, so that the entry and the glue import the one same class.
snippet=$(cd pkg/web && find snippets -name visitor_error.js)
[ -n "$snippet" ] && grep -q "from './$snippet'" pkg/web/giosg_visitor.js || { echo "package.sh: the VisitorError module was not found in the glue" >&2; exit 1; }
mv "pkg/web/$snippet" pkg/web/visitor-error.js
sed -i "s#from './$snippet'#from './visitor-error.js'#" pkg/web/giosg_visitor.js
rm -rf pkg/web/snippets
# entry.js (what the package entry and the embed share) beside index.js, for the bundles below.
cp packaging/entry.js pkg/
# The class's `[Symbol.dispose]` (from wasm-bindgen) needs the `esnext.disposable` lib: the
# declarations reference it, so that a consumer's `tsc --strict` passes with the default `lib`.
sed -i '1i /// <reference lib="esnext.disposable" />' pkg/web/giosg_visitor.d.ts
# wasm-bindgen declares `free()` and `[Symbol.dispose]()` without a word: say what they do.
node -e '
  const fs = require("fs"), file = process.argv[1];
  const docs = {
    "free(): void;": [
      "Stops the visitor as `stop()` does (pending calls reject with `stopped`; timers and",
      "listeners end), and releases the object: calling any of its members afterwards throws.",
      "Prefer `stop()` while other code may still hold the visitor; `free()` (or `using`) once",
      "nothing will touch it again.",
    ],
    "[Symbol.dispose](): void;": ["The same as `free()`: what `using visitor = new Visitor(...)` calls when its block ends."],
  };
  let text = fs.readFileSync(file, "utf8");
  for (const [member, lines] of Object.entries(docs)) {
    const at = text.indexOf(`\n    ${member}\n`);
    if (at < 0) throw new Error(`package.sh: ${member} not found in ${file}`);
    const doc = ["    /**", ...lines.map((line) => `     * ${line}`), "     */"].join("\n");
    text = `${text.slice(0, at)}\n${doc}${text.slice(at)}`;
  }
  fs.writeFileSync(file, text);
' pkg/web/giosg_visitor.d.ts

# The package entry: packaging/index.js bundled (rolldown) with entry.js, the glue and the
# VisitorError class into one ES module, so that a page waits on no chain of imports: one module,
# then the .wasm (which a page can preload). The one VisitorError class inside is the one the
# .wasm throws and the entry exports. The glue finds its .wasm through
# `new URL("giosg_visitor_bg.wasm", import.meta.url)`, relative to the module it is in: the bundle
# sits above web/, so it bundles a copy of the glue whose URL names web/ (bundlers follow it and
# emit the .wasm as an asset). Minified, with its source map beside it (index.js.map), as native
# ES modules pages load it.
cp packaging/index.js pkg/index.src.js
[ "$(grep -cF "new URL('giosg_visitor_bg.wasm', import.meta.url)" pkg/web/giosg_visitor.js)" = 1 ] ||
  { echo "package.sh: the glue's URL of its .wasm is not in the glue once" >&2; exit 1; }
sed "s#new URL('giosg_visitor_bg\.wasm', import\.meta\.url)#new URL('./web/giosg_visitor_bg.wasm', import.meta.url)#" \
  pkg/web/giosg_visitor.js > pkg/web/giosg_visitor.entry.js
# Both the entry and entry.js import that copy, so that the bundle holds one glue.
sed 's#from "./web/giosg_visitor.js"#from "./web/giosg_visitor.entry.js"#' pkg/entry.js > pkg/entry.index.js
sed -i 's#from "./web/giosg_visitor.js"#from "./web/giosg_visitor.entry.js"#; s#from "./entry.js"#from "./entry.index.js"#' pkg/index.src.js
rolldown pkg/index.src.js --format esm --file pkg/index.js --minify --sourcemap --logLevel silent \
  --postBanner "/* giosg-visitor $VERSION: the package entry, one ES module (packaging/index.js and entry.js, wasm-bindgen's glue, VisitorError), loading web/giosg_visitor_bg.wasm. */" >/dev/null
rm pkg/index.src.js pkg/entry.index.js pkg/web/giosg_visitor.entry.js
[ "$(grep -oE 'new URL\(.\./web/giosg_visitor_bg\.wasm.,import\.meta\.url\)' pkg/index.js | wc -l)" = 1 ] &&
  [ "$(grep -oF '__wbg_visitor_free' pkg/index.js | wc -l)" = "$(grep -oF '__wbg_visitor_free' pkg/web/giosg_visitor.js | wc -l)" ] ||
  { echo "package.sh: the bundled entry does not hold one glue, with the URL of web/'s .wasm once" >&2; exit 1; }

# The embed: the same build bundled into one classic script (rolldown, IIFE) from
# packaging/embed.js, beside the same .wasm; minified, with its source map beside it.
mkdir -p pkg/embed
cp pkg/web/giosg_visitor_bg.wasm pkg/embed/giosg-visitor_bg.wasm
rolldown packaging/embed.js --format iife --file pkg/embed/giosg-visitor.js --minify --sourcemap --logLevel silent \
  --postBanner "/* giosg-visitor $VERSION: script-tag embed. Defines window.GiosgVisitor = { ready, Visitor, VisitorError }. */" >/dev/null
# entry.js lives on inside both bundles only.
rm pkg/entry.js

cp packaging/index.d.ts packaging/embed.d.ts packaging/README.md pkg/
cp packaging/react.js packaging/react-boundary.js packaging/react.d.ts packaging/vue.js packaging/vue.d.ts packaging/visitor-store.js pkg/
cp LICENSE-MIT LICENSE-APACHE pkg/
sed "s/\"VERSION\"/\"$VERSION\"/" packaging/package.json > pkg/package.json

mkdir -p target/package
(cd pkg && npm pack --silent --pack-destination "$ROOT/target/package" >/dev/null)
echo "packed target/package/giosg-visitor-$VERSION.tgz" >&2
