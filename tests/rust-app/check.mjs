// Checks that a Rust app's JS surface is the app's own: nothing of giosg-visitor (its `Visitor`
// class, its functions, its TypeScript types) may appear in it. Used by scripts/rust-app.sh.
//
//   node tests/rust-app/check.mjs --allow app_storage_known FILE.wasm|FILE.d.ts ...
//
// A `.wasm` is read with WebAssembly.Module.exports, either as rustc wrote it (before the
// wasm-bindgen CLI: every `#[wasm_bindgen]` item is an export, with its `__wbindgen_describe_`
// twin; names may carry a `_<16 hex>` hash) or as the CLI wrote it. An export is one of the
// app's items when it is a function not named like wasm-bindgen's internals (`__...`,
// `wasm_bindgen_...`: the allocator, the closures' shims, which the SDK's Rust API may bring),
// or a class's `__wbg_<class>_free`, or a struct field's `__wbg_get_`/`__wbg_set_`, or the
// descriptor of one of these; each such item must be in --allow. Descriptors of imports
// (`__wbindgen_describe___wbg_...`: the JS that Rust code calls) are not exports and pass.
// A `.d.ts` may export only the --allow names and what wasm-bindgen's `--target web` glue adds
// (InitInput, InitOutput, SyncInitInput, initSync, the default init); the functions of its
// InitOutput (the final exports) are checked as a `.wasm`'s are.
// Exits 1 naming each item found that is not the app's.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const allow = new Set();
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--allow") allow.add(...args[++i].split(","));
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error("usage: check.mjs --allow NAME[,NAME...] FILE.wasm|FILE.d.ts ...");
  process.exit(2);
}

const GLUE = new Set(["InitInput", "InitOutput", "SyncInitInput", "initSync", "default", "__wbg_init"]);

// The item a raw or final export stands for, or null for wasm-bindgen's own.
function item(name) {
  let rest = name;
  if (rest.startsWith("__wbindgen_describe_")) {
    rest = rest.slice("__wbindgen_describe_".length);
    if (rest.startsWith("__")) return null; // an import's descriptor, or an internal's
  } else if (/^__wbg_\w+_free(_[0-9a-f]{16})?$/.test(rest) || /^__wbg_(get|set)_/.test(rest)) {
    // a class's destructor, a public field's accessor: the class is the item
  } else if (rest.startsWith("__") || rest.startsWith("wasm_bindgen_")) {
    // wasm-bindgen's runtime: __wbindgen_malloc, __externref_table_alloc, the closures' shims
    // (wasm_bindgen__convert__closures_____invoke__h...)
    return null;
  }
  return rest.replace(/_[0-9a-f]{16}$/, "");
}

function foreign(names) {
  return names.map((name) => [name, item(name)]).filter(([, it]) => it !== null && !allow.has(it)).map(([name]) => name);
}

let failed = false;
for (const file of files) {
  let leaks, items;
  if (file.endsWith(".wasm")) {
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(file)));
    const functions = exports.filter((e) => e.kind === "function").map((e) => e.name);
    items = functions.map(item).filter((it) => it !== null);
    leaks = foreign(functions);
  } else if (file.endsWith(".d.ts")) {
    const text = readFileSync(file, "utf8");
    const declared = [...text.matchAll(/^export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:function|class|interface|type|const|let|var|enum|namespace)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
    if (/^export\s+default\b/m.test(text)) declared.push("default");
    const raw = (text.match(/export interface InitOutput \{([\s\S]*?)\n\}/)?.[1] ?? "")
      .split("\n").map((line) => line.match(/^\s*readonly\s+([\w$]+)\s*:\s*\(/)?.[1]).filter(Boolean); // functions only (not memory, tables)
    items = [...declared.filter((n) => !GLUE.has(n)), ...raw.map(item).filter((it) => it !== null)];
    leaks = [...declared.filter((n) => !allow.has(n) && !GLUE.has(n)), ...foreign(raw).map((n) => `InitOutput.${n}`)];
  } else {
    console.error(`check.mjs: ${file}: neither .wasm nor .d.ts`);
    process.exit(2);
  }
  if (leaks.length > 0) {
    failed = true;
    const shown = leaks.slice(0, 20).join(", ") + (leaks.length > 20 ? `, ... (${leaks.length} in all)` : "");
    console.error(`FAIL ${file}: exports that are not the app's own (allowed: ${[...allow].join(", ")}): ${shown}`);
  } else {
    console.error(`ok   ${file}: only the app's own items (${[...new Set(items)].join(", ") || "none"})`);
  }
}
process.exit(failed ? 1 : 0);
