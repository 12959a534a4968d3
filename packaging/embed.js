// The script-tag embed's entry, which scripts/package.sh bundles into one classic script (an
// IIFE): it defines `window.GiosgVisitor = { ready, Visitor, VisitorError }` and loads the .wasm
// file found next to the script.
import init from "../pkg/web/giosg_visitor.js";
import { entry, VisitorError } from "../pkg/entry.js";

const script = document.currentScript;
const wasmUrl = new URL("giosg-visitor_bg.wasm", script && script.src ? script.src : location.href);
window.GiosgVisitor = { ...entry(() => init({ module_or_path: wasmUrl })), VisitorError };
