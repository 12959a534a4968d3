// What the package entry (index.js) and the script-tag embed (embed.js) both export: `ready`,
// `Visitor` and `VisitorError`, around the wasm-bindgen build in web/.
//
// Outside a browser (server-side rendering in Node, say) nothing is loaded: `ready` rejects with
// a VisitorError for whoever awaits it (and for nobody else: no unhandled rejection), and
// `new Visitor(...)` throws one. In a browser, `new Visitor(...)` before `ready` has resolved
// throws a VisitorError that says to await it.
import { Visitor as LoadedVisitor } from "./web/giosg_visitor.js";
import { VisitorError } from "./web/visitor-error.js";

export { VisitorError };

/** `ready` and `Visitor`, the module loaded by `load()` (called at once, in a browser only). */
export function entry(load) {
  const inBrowser = typeof window === "object" && typeof document === "object";
  let loaded = false;
  const ready = inBrowser
    ? load().then(() => {
        loaded = true;
      })
    : Promise.reject(new VisitorError("invalid_options", NOT_A_BROWSER));
  // Awaiting `ready` still rejects; a page that never awaits it gets no unhandled rejection.
  ready.catch(() => {});

  class Visitor extends LoadedVisitor {
    constructor(options) {
      if (!loaded) throw new VisitorError("invalid_options", inBrowser ? NOT_READY : NOT_A_BROWSER);
      super(options);
    }
  }
  return { ready, Visitor };
}

const NOT_A_BROWSER =
  "giosg-visitor runs in a browser, and this is not one (server-side rendering?): the WebAssembly module is not loaded here";
const NOT_READY = "new Visitor(...) before the WebAssembly module has loaded: await ready first";
