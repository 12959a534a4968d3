// giosg-visitor/react: the React binding (React 18 or 19, an optional peer dependency).
//
//   const { visitor, session, visitorId, status, error } = useVisitor({ organizationId: "…" });
//
// `useVisitor(options)` gives a component its own visitor; `<VisitorProvider options={…}>` makes
// one for the components below it, which read it with `useVisitor()`. Either way:
//
// - The visitor is made when the component mounts (never during render, never on the server),
//   and authenticated at once: `status` is "loading" until its first session, then
//   "authenticated"; "error" when there is no session and the last attempt failed (`error` is
//   the `VisitorError`).
// - It is keyed on the options' values, not on the object: `useVisitor({ organizationId })`
//   written inline makes one visitor however often the component renders. A changed value makes
//   a new visitor (and stops the old one), except `storage`: a changed `storage` is
//   `visitor.setStorage()` on the same visitor (consent given or withdrawn keeps the visitor).
// - Options that cannot be keyed (a `BigInt`, a cyclic value, a getter that throws) make no
//   visitor: `status` is "error", `error` a VisitorError `invalid_options`.
// - It is made a microtask after the component subscribes (once `ready` has resolved), and a
//   subscription that ended before then makes none: StrictMode's mount, unmount and mount again,
//   all in one task, makes one visitor (one auth request). An unmount stops the visitor
//   (`visitor.stop()`): no request after it.
// - The component re-renders on the visitor's `session`, `identitychange`, `error` and `storage`
//   events, through `useSyncExternalStore` over `visitor.session` (one object until the session
//   changes).
import { createContext, createElement, useContext, useEffect, useState, useSyncExternalStore } from "react";
import { ready, Visitor, VisitorError } from "./index.js";

const EVENTS = ["session", "identitychange", "error", "storage"];

/** What a component sees before its visitor is made (and during a server render). */
const STARTING = Object.freeze({ visitor: null, session: null, visitorId: null, storageKind: null, status: "loading", error: null });

/**
 * One visitor's life for React: made for the first subscriber, stopped when the last one goes;
 * the snapshot is a new object only when something shown changed.
 */
class VisitorStore {
  constructor(options, { key, storage, refused }) {
    this.options = options;
    this.key = key;
    // The storage the visitor is to use (its options' at first, then each `moveTo()`), and why
    // the options make no visitor (`null`: they do).
    this.storage = storage;
    this.optionsStorage = storage;
    this.refused = refused;
    this.snapshot = STARTING;
    this.listeners = new Set();
    // Each start has its generation, so that a start whose store was stopped meanwhile does nothing.
    this.generation = 0;
    this.running = false;
    this.visitor = null;
    this.error = null;
    this.unsubscribes = [];
    this.subscribe = this.subscribe.bind(this);
    this.getSnapshot = this.getSnapshot.bind(this);
  }

  subscribe(listener) {
    this.listeners.add(listener);
    if (!this.running) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  getSnapshot() {
    return this.snapshot;
  }

  /** Makes the visitor once `ready` has resolved (a microtask at the soonest), unless stopped by then. */
  start() {
    this.running = true;
    const generation = ++this.generation;
    const current = () => this.running && this.generation === generation;
    ready.then(
      () => {
        if (!current()) return;
        let visitor;
        try {
          if (this.refused) throw this.refused;
          visitor = new Visitor(this.options);
        } catch (error) {
          this.error = error;
          this.update();
          return;
        }
        this.visitor = visitor;
        this.unsubscribes = EVENTS.map((name) =>
          visitor.on(name, (detail) => {
            if (name === "error") this.error = detail;
            else if (name === "session" || name === "identitychange") this.error = null;
            this.update();
          }),
        );
        this.update();
        // `storage` changed between the first render and now: the visitor moves at once.
        if (this.storage !== this.optionsStorage) this.moveTo(this.storage, true);
        visitor.authenticate().then(
          () => {
            if (current()) this.update();
          },
          (error) => {
            if (!current()) return;
            this.error = error;
            this.update();
          },
        );
      },
      (error) => {
        if (!current()) return;
        this.error = error;
        this.update();
      },
    );
  }

  /** The options' `storage` is now `storage`: `setStorage()` on the visitor, if it differs. */
  moveTo(storage, always = false) {
    if (storage === this.storage && !always) return;
    this.storage = storage;
    const visitor = this.visitor;
    if (!visitor) return;
    visitor.setStorage(storage).then(
      () => this.update(),
      (error) => {
        if (this.visitor !== visitor) return;
        this.error = error;
        this.update();
      },
    );
  }

  stop() {
    this.running = false;
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
    this.visitor?.stop();
    this.visitor = null;
    this.error = null;
    this.snapshot = STARTING;
  }

  /** Reads the visitor; a new snapshot (and a re-render) only when a field changed. */
  update() {
    const visitor = this.visitor;
    let read;
    try {
      read = visitor ? { session: visitor.session, visitorId: visitor.visitorId, storageKind: visitor.storageKind } : null;
    } catch {
      // The app released the visitor (`free()`): every member answers `stopped`; nothing to show.
      read = null;
    }
    const session = read ? read.session : null;
    const next = {
      visitor,
      session,
      visitorId: read ? read.visitorId : null,
      storageKind: read ? read.storageKind : null,
      status: session ? "authenticated" : this.error ? "error" : "loading",
      error: this.error,
    };
    const previous = this.snapshot;
    if (Object.keys(next).every((field) => Object.is(next[field], previous[field]))) return;
    this.snapshot = Object.freeze(next);
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * The options' values but `storage` as a string (`key`): two option objects with the same values
 * (in any order) make one visitor; and their `storage` ("local" when absent). `refused`: why
 * they cannot be keyed (a VisitorError `invalid_options`), else `null`.
 */
function keyOf(options) {
  if (options === null || typeof options !== "object") return { key: `${typeof options}:${String(options)}`, storage: "local", refused: null };
  try {
    const names = Object.keys(options).filter((name) => name !== "storage").sort();
    const key = JSON.stringify(names.map((name) => [name, options[name]]));
    return { key, storage: options.storage ?? "local", refused: null };
  } catch {
    // A `BigInt`, a cyclic value, a throwing getter or `toJSON`: the same key on every render, so
    // that the refusal is made once.
    const refused = new VisitorError("invalid_options", "the visitor's options could not be read as values (a BigInt, a cyclic value or a getter that throws?): pass plain strings, numbers and booleans");
    return { key: "\u0000refused", storage: "local", refused };
  }
}

/** The subscription of a component that reads its provider's visitor: nothing to follow. */
const NO_STORE = { subscribe: () => () => {}, getSnapshot: () => STARTING };

/** The component's own visitor for `options`, or none when `options` is `undefined`. */
function useOwnVisitor(options) {
  const keyed = options === undefined ? null : keyOf(options);
  const key = keyed === null ? null : keyed.key;
  const make = () => (keyed === null ? NO_STORE : new VisitorStore(options, keyed));
  let [store, setStore] = useState(make);
  // New option values: a new store, kept from this render on (the old one stops once unsubscribed).
  if ((store === NO_STORE ? null : store.key) !== key) {
    store = make();
    setStore(store);
  }
  // A new `storage` moves the same visitor, once the render is committed.
  const storage = keyed === null ? null : keyed.storage;
  useEffect(() => {
    if (store !== NO_STORE) store.moveTo(storage);
  }, [store, storage]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, () => STARTING);
}

const VisitorContext = createContext(null);

/**
 * `useVisitor(options)`: this component's own visitor. `useVisitor()`: the visitor of the nearest
 * `<VisitorProvider>` above. Returns `{ visitor, session, visitorId, storageKind, status, error }`.
 */
export function useVisitor(options) {
  const provided = useContext(VisitorContext);
  const own = useOwnVisitor(options);
  if (options !== undefined) return own;
  if (provided === null) {
    throw new Error("giosg-visitor/react: useVisitor() without options reads the visitor of a <VisitorProvider>, and there is none above this component: wrap it in <VisitorProvider options={{ organizationId }}>, or pass the options to useVisitor(options)");
  }
  return provided;
}

/** Makes one visitor for `options` and hands it to every `useVisitor()` below. */
export function VisitorProvider({ options, children }) {
  if (options === undefined) {
    throw new Error("giosg-visitor/react: <VisitorProvider> needs its options: <VisitorProvider options={{ organizationId }}>");
  }
  const state = useOwnVisitor(options);
  return createElement(VisitorContext.Provider, { value: state }, children);
}
