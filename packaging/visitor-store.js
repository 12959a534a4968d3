// What the framework bindings (giosg-visitor/react, giosg-visitor/vue) share: one visitor's life
// behind a subscribe/snapshot store, and the key of a visitor's options.
//
// - `new VisitorStore(options, keyOf(options))`: the visitor is made a microtask after the first
//   subscriber (once `ready` has resolved) unless every subscriber has gone by then, authenticated
//   at once, and stopped when the last subscriber goes. `getSnapshot()` gives
//   `{ visitor, session, visitorId, storageKind, status, error }`, a new frozen object only when
//   a field changed; each subscriber is called after each change. `moveTo(storage)` is
//   `setStorage()` on the same visitor.
// - `keyOf(options)`: the options' values but `storage`, as a string (two option objects with the
//   same values make one visitor), their `storage`, and why they cannot be keyed.
import { ready, Visitor, VisitorError } from "./index.js";

const EVENTS = ["session", "identitychange", "error", "storage"];

/** What a component sees before its visitor is made (and during a server render). */
export const STARTING = Object.freeze({ visitor: null, session: null, visitorId: null, storageKind: null, status: "loading", error: null });

/**
 * One visitor's life for a component (or a provider): made for the first subscriber, stopped
 * when the last one goes; the snapshot is a new object only when something shown changed.
 */
export class VisitorStore {
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
        // `storage` changed between the store's making and now: the visitor moves at once.
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
export function keyOf(options) {
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
