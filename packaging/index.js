// giosg-visitor: the entry point for bundlers (Vite, webpack, Rollup) and native ES modules.
//
// It loads the WebAssembly module next to it (found through `import.meta.url`, which bundlers
// turn into an asset URL) as soon as it is imported. Construct visitors once `ready` resolves:
//
//   import { ready, Visitor } from "giosg-visitor";
//   await ready;
//   const visitor = new Visitor({ organizationId: "…" });
import init from "./web/giosg_visitor.js";

export { Visitor } from "./web/giosg_visitor.js";

/** Resolves once the WebAssembly module is loaded and `Visitor` can be constructed. */
export const ready = init().then(() => undefined);
