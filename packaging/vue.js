// giosg-visitor/vue: the Vue binding (Vue 3.3 or newer, an optional peer dependency).
//
//   const { visitor, session, visitorId, storageKind, status, error } = useVisitor({ organizationId: "…" });
//
// `useVisitor(options)`, in a component's `setup()` (or `<script setup>`), gives the component its
// own visitor, and returns refs of what giosg-visitor/react's `useVisitor` returns:
//
// - The visitor is made when the component mounts (never on the server: a server render shows
//   "loading"), a microtask later once `ready` has resolved, and authenticated at once: `status`
//   is "loading" until its first session, then "authenticated"; "error" when there is no session
//   and the last attempt failed (`error` is the `VisitorError`).
// - `options` is an object, or a ref or a getter of one (`() => ({ organizationId, storage })`):
//   the visitor is keyed on the options' values. A changed value makes a new visitor (and stops
//   the old one), except `storage`: a changed `storage` is `visitor.setStorage()` on the same
//   visitor (consent given or withdrawn keeps the visitor). Options that cannot be keyed (a
//   `BigInt`, a cyclic value, a getter that throws) make no visitor: `status` is "error",
//   `error` a VisitorError `invalid_options`.
// - The refs change on the visitor's `session`, `identitychange`, `error` and `storage` events
//   (each only when its value changed). An unmount (the end of the effect scope it was called
//   in) stops the visitor (`visitor.stop()`): no request after it.
import { getCurrentInstance, onMounted, onScopeDispose, ref, shallowReadonly, shallowRef, toRaw, toValue, watch } from "vue";
import { STARTING, VisitorStore, keyOf } from "./visitor-store.js";

/**
 * This component's visitor for `options` (an object, or a ref or a getter of one). Returns
 * `{ visitor, session, visitorId, storageKind, status, error }`, each a read-only ref.
 */
export function useVisitor(options) {
  const refs = {
    visitor: shallowRef(STARTING.visitor),
    session: shallowRef(STARTING.session),
    visitorId: ref(STARTING.visitorId),
    storageKind: ref(STARTING.storageKind),
    status: ref(STARTING.status),
    error: shallowRef(STARTING.error),
  };
  const show = (snapshot) => {
    for (const field of Object.keys(refs)) refs[field].value = snapshot[field];
  };

  let store = null;
  let unsubscribe = null;
  let mounted = false;
  const keyed = () => {
    const values = toRaw(toValue(options));
    return { values, ...keyOf(values) };
  };
  /** A new store (a new visitor) for the options as they are now; the old one stops. */
  const makeStore = () => {
    unsubscribe?.();
    const { values, ...key } = keyed();
    const current = new VisitorStore(values, key);
    store = current;
    show(current.getSnapshot());
    unsubscribe = current.subscribe(() => show(current.getSnapshot()));
  };
  // New option values make a new visitor; a new `storage` moves the same one.
  watch(
    () => keyed().key,
    () => {
      if (mounted) makeStore();
    },
  );
  watch(
    () => keyed().storage,
    (storage) => store?.moveTo(storage),
  );
  const start = () => {
    mounted = true;
    makeStore();
  };
  // In a component, once it is mounted (a server render never mounts); in an effect scope of
  // the app's own, at once.
  if (getCurrentInstance()) onMounted(start);
  else start();
  onScopeDispose(() => {
    mounted = false;
    unsubscribe?.();
    unsubscribe = null;
    store = null;
  });
  // Read-only refs whose values are the SDK's own objects (not proxies of them).
  return Object.fromEntries(Object.entries(refs).map(([field, value]) => [field, shallowReadonly(value)]));
}
