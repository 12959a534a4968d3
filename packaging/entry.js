// What the package entry (index.js) and the script-tag embed (embed.js) both export: `ready`,
// `Visitor` and `VisitorError`, around the wasm-bindgen build in web/.
//
// Outside a browser (server-side rendering in Node, say), or without WebAssembly, nothing is
// loaded: `ready` rejects with a VisitorError `unsupported` for whoever awaits it (and for nobody
// else: no unhandled rejection), and `new Visitor(...)` throws one. In a browser, `new Visitor(...)` before `ready` has resolved
// throws a VisitorError that says to await it.
import { Visitor as LoadedVisitor } from "./web/giosg_visitor.js";
import { VisitorError } from "./web/visitor-error.js";

export { VisitorError };

/** `ready` and `Visitor`, the module loaded by `load()` (called at once, in a browser only). */
export function entry(load) {
  const inBrowser = supported();
  let loaded = false;
  const ready = inBrowser
    ? load().then(() => {
        loaded = true;
      })
    : Promise.reject(new VisitorError("unsupported", NOT_A_BROWSER));
  if (inBrowser) wakeLockManager();
  // Awaiting `ready` still rejects; a page that never awaits it gets no unhandled rejection.
  ready.catch(() => {});

  class Visitor extends LoadedVisitor {
    constructor(options) {
      if (!loaded) throw inBrowser ? new VisitorError("invalid_options", NOT_READY) : new VisitorError("unsupported", NOT_A_BROWSER);
      super(options);
      running.add(this);
    }

    stop() {
      running.delete(this);
      super.stop();
    }

    /** Stops the visitor and lets it go; every later use answers `stopped`. Twice is harmless. */
    free() {
      if (released.has(this)) return;
      released.add(this);
      this.stop();
    }
  }
  if (typeof Symbol.dispose === "symbol") {
    Visitor.prototype[Symbol.dispose] = function dispose() {
      this.free();
    };
  }
  // Every other member of a released visitor answers `stopped`: the methods that return a
  // promise reject with it, the others (and the getters) throw it.
  for (const [name, member] of Object.entries(Object.getOwnPropertyDescriptors(LoadedVisitor.prototype))) {
    if (Object.prototype.hasOwnProperty.call(Visitor.prototype, name)) continue;
    if (member.get) {
      const read = member.get;
      Object.defineProperty(Visitor.prototype, name, {
        configurable: true,
        get() {
          if (released.has(this)) throw releasedError();
          return read.call(this);
        },
      });
    } else if (typeof member.value === "function") {
      const method = member.value;
      const answer = ASYNC_MEMBERS.has(name) ? (error) => Promise.reject(error) : (error) => { throw error; };
      Object.defineProperty(Visitor.prototype, name, {
        configurable: true,
        writable: true,
        value: function (...args) {
          return released.has(this) ? answer(releasedError()) : method.apply(this, args);
        },
      });
    }
  }
  return { ready, Visitor };
}

// A visitor lives until `stop()`, `free()` or `[Symbol.dispose]()`, whether or not the page keeps
// a reference to it (SPEC §3): wasm-bindgen releases the Rust object behind an instance that is
// garbage-collected, which would stop it. Each running visitor is held here until the page ends
// it; `free()` then lets it go, and its memory goes with the instance.
const running = new Set();
const released = new WeakSet();
const ASYNC_MEMBERS = new Set(["authenticate", "getAccessToken", "fetch", "forget", "setStorage"]);
const releasedError = () => new VisitorError("stopped", "this visitor was released by free() or [Symbol.dispose](): make a new one");

/**
 * The first Web Lock of a fresh browser context waits for the browser to set up the origin's
 * lock manager, and the SDK takes one before its first request. A `query()` while the .wasm
 * downloads sets it up meanwhile (measured in README, "Start-up"). It takes no lock, keeps
 * nothing and touches no storage; where it throws or rejects (no Web Locks, a page that replaced
 * them), nothing changes.
 */
function wakeLockManager() {
  try {
    Promise.resolve(navigator.locks.query()).catch(() => {});
  } catch {
    // No lock manager to wake: the SDK finds out for itself.
  }
}

/** Whether this environment can run the SDK: a browser's window, with WebAssembly. */
export function supported() {
  return typeof window === "object" && typeof document === "object" && typeof WebAssembly === "object";
}

const NOT_A_BROWSER =
  "giosg-visitor runs in a browser with WebAssembly, and this is not one (server-side rendering?): nothing is loaded here";
const NOT_READY = "new Visitor(...) before the WebAssembly module has loaded: await ready first";
