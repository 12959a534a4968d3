// giosg-visitor: the entry point for bundlers (Vite, webpack, Rollup) and native ES modules.
// scripts/package.sh bundles it, with what it imports, into the one module pkg/index.js.
//
// In a browser it loads the WebAssembly module, web/giosg_visitor_bg.wasm (found through
// `import.meta.url`, which bundlers turn into an asset URL), as soon as it is imported; elsewhere
// (server-side rendering) importing it does nothing. Construct visitors once `ready` resolves:
//
//   import { ready, Visitor } from "giosg-visitor";
//   await ready;
//   const visitor = new Visitor({ organizationId: "…" });
import init from "./web/giosg_visitor.js";
import { entry, VisitorError } from "./entry.js";

const loaded = entry(() => init());

/** Resolves once the WebAssembly module is loaded and `Visitor` can be constructed. */
export const ready = loaded.ready;
export const Visitor = loaded.Visitor;
export { VisitorError };
