// Types of the script-tag embed's global, `window.GiosgVisitor`, which embed/giosg-visitor.js
// defines. In a page's TypeScript (the package installed, a devDependency is enough):
//
//   /// <reference types="giosg-visitor/embed" />
//   GiosgVisitor.ready.then(async () => { const visitor = new GiosgVisitor.Visitor({ organizationId: "…" }); });
//
// or `"types": ["giosg-visitor/embed"]` in tsconfig.json's compilerOptions.
import type * as Module from "./index.js";

declare global {
  /**
   * The script-tag embed: what the package's entry exports, as a global. Construct visitors once
   * `ready` resolves: `GiosgVisitor.ready.then(() => new GiosgVisitor.Visitor({ organizationId }))`.
   */
  namespace GiosgVisitor {
    /** Resolves once the WebAssembly module is loaded and `Visitor` can be constructed. */
    const ready: typeof Module.ready;
    const Visitor: typeof Module.Visitor;
    type Visitor = Module.Visitor;
    /** Every error of the SDK: `error instanceof GiosgVisitor.VisitorError`. */
    const VisitorError: typeof Module.VisitorError;
    type VisitorError = Module.VisitorError;
    type VisitorOptions = Module.VisitorOptions;
    type Session = Module.Session;
    type VisitorErrorCode = Module.VisitorErrorCode;
    type VisitorEventMap = Module.VisitorEventMap;
    type Change = Module.Change;
  }
}

export {};
