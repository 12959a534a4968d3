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
//
// `useChannel(channel, listener, visitor?)` listens to a real-time channel of the provider's
// visitor (or of `visitor`, a hook's own): subscribed once the visitor is made and `channel` is a
// string (`null` waits: a channel built from `visitorId` before there is one), unsubscribed when
// the channel or the visitor changes and on unmount (the last channel closes the socket). The
// newest `listener` is called, without subscribing again when it changes.
import { createContext, createElement, useContext, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { STARTING, VisitorStore, keyOf } from "./visitor-store.js";

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

/**
 * Listens to a real-time channel of the nearest `<VisitorProvider>`'s visitor, or of `visitor`;
 * `listener` gets each `Change`. Nothing is subscribed while `channel` is `null` or `undefined`,
 * or before the visitor is made.
 */
export function useChannel(channel, listener, visitor) {
  const provided = useContext(VisitorContext);
  const target = visitor !== undefined ? visitor : provided === null ? null : provided.visitor;
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => {
    if (target === null || channel === null || channel === undefined) return undefined;
    return target.subscribe(channel, (change) => latest.current(change));
  }, [target, channel]);
}
