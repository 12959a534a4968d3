// The script-tag embed's entry, which scripts/package.sh bundles into one classic script (an
// IIFE): it defines `window.GiosgVisitor = { ready, Visitor, VisitorError }` and loads the .wasm
// file found next to the script.
import init from "../pkg/web/giosg_visitor.js";
import { entry, supported, VisitorError } from "../pkg/entry.js";

// Outside a browser (a server renderer importing it), it loads nothing, as the package entry
// does: `GiosgVisitor.ready` rejects with `unsupported` for whoever awaits it.
const script = supported() ? document.currentScript : null;
const wasmUrl = () => new URL("giosg-visitor_bg.wasm", script && script.src ? script.src : location.href);
globalThis.GiosgVisitor = { ...entry(() => init({ module_or_path: wasmUrl() })), VisitorError };
