// The script-tag embed's entry, which scripts/package.sh bundles into one classic script (an
// IIFE): it defines `window.GiosgVisitor = { ready, Visitor }` and loads the .wasm file found next
// to the script.
import init, { Visitor } from "../pkg/web/giosg_visitor.js";

const script = document.currentScript;
const wasmUrl = new URL("giosg-visitor_bg.wasm", script && script.src ? script.src : location.href);
window.GiosgVisitor = { Visitor, ready: init({ module_or_path: wasmUrl }).then(() => undefined) };
