import type { MaybeRefOrGetter, Ref } from "vue";
import type { Session, Visitor, VisitorError, VisitorOptions } from "./index.js";

/** Where the secret and the session are kept now (`visitor.storageKind`). */
export type VisitorStorageKind = "local" | "session" | "memory";

/**
 * `"loading"` before the first session (and after `forget()`, until the next `authenticate()`);
 * `"authenticated"` while a session is current (`session` and `visitorId` are set); `"error"`
 * when there is no session and the last attempt failed (`error` says why).
 */
export type VisitorStatus = "loading" | "authenticated" | "error";

/** What `useVisitor` returns: the fields of giosg-visitor/react's `useVisitor`, each a read-only ref. */
export interface VisitorRefs {
  /** The `Visitor`: `null` until it is made (the WebAssembly module loaded, the component mounted),
   * and on the server; `null` too when the options were refused or the page cannot run the SDK. */
  readonly visitor: Readonly<Ref<Visitor | null>>;
  /** `visitor.session`: the same object until the session changes; `null` without one. */
  readonly session: Readonly<Ref<Session | null>>;
  readonly visitorId: Readonly<Ref<string | null>>;
  readonly storageKind: Readonly<Ref<VisitorStorageKind | null>>;
  readonly status: Readonly<Ref<VisitorStatus>>;
  /** Without a session: why the last attempt failed (`invalid_options`, `unsupported`, what
   * `authenticate()` gave up on). With one: the last background renewal's failure, while the
   * still-valid token stays in use; `null` again at the next session. */
  readonly error: Readonly<Ref<VisitorError | null>>;
}

/**
 * This component's own visitor, made once the component is mounted and the WebAssembly module
 * loaded, and authenticated at once; the refs change on its `session`, `identitychange`, `error`
 * and `storage` events, and the visitor stops when the component unmounts. `options` may be a ref
 * or a getter: the visitor is keyed on the options' values, a changed value makes a new one, but
 * a changed `storage` is `setStorage()` on the same visitor. Options that cannot be keyed (a
 * `BigInt`, a cyclic value) give `status` `"error"` with `invalid_options`.
 */
export declare function useVisitor(options: MaybeRefOrGetter<VisitorOptions>): VisitorRefs;
