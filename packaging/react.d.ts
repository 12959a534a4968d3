import type { ReactElement, ReactNode } from "react";
import type { Change, Session, Visitor, VisitorError, VisitorOptions } from "./index.js";

/** Where the secret and the session are kept now (`visitor.storageKind`). */
export type VisitorStorageKind = "local" | "session" | "memory";

/** Before the first session (and after `forget()`, until the next `authenticate()`). */
export interface VisitorLoadingState {
  readonly status: "loading";
  /** `null` until the WebAssembly module is loaded and the visitor made (and on the server). */
  readonly visitor: Visitor | null;
  readonly session: null;
  readonly visitorId: null;
  readonly storageKind: VisitorStorageKind | null;
  readonly error: null;
}

/** A session is current: its token is in `session.accessToken` and renewed before it expires. */
export interface VisitorAuthenticatedState {
  readonly status: "authenticated";
  readonly visitor: Visitor;
  /** `visitor.session`: the same object until the session changes. */
  readonly session: Session;
  readonly visitorId: string;
  readonly storageKind: VisitorStorageKind;
  /** The last background renewal's failure, while the still-valid token stays in use; `null`
   * again at the next session. */
  readonly error: VisitorError | null;
}

/**
 * No session, and the last attempt failed: `authenticate()` gave up (the visitor keeps retrying
 * in the background when `autoRenew` is on, and the state turns "authenticated" when it
 * succeeds), the options were refused (`invalid_options`, `visitor` is `null`), or the page
 * cannot run the SDK (`unsupported`, `visitor` is `null`).
 */
export interface VisitorErrorState {
  readonly status: "error";
  readonly visitor: Visitor | null;
  readonly session: null;
  readonly visitorId: null;
  readonly storageKind: VisitorStorageKind | null;
  readonly error: VisitorError;
}

/** What `useVisitor` returns: narrow it on `status`. */
export type VisitorState = VisitorLoadingState | VisitorAuthenticatedState | VisitorErrorState;

/**
 * This component's own visitor, made once the WebAssembly module is loaded and authenticated at
 * once; the component re-renders on its `session`, `identitychange`, `error` and `storage` events,
 * and the visitor stops when the component unmounts. The visitor is keyed on the options' values:
 * an object written inline each render makes one visitor; a changed value makes a new one, but a
 * changed `storage` is `setStorage()` on the same visitor. Options that cannot be keyed (a
 * `BigInt`, a cyclic value) give `status: "error"` with `invalid_options`.
 */
export declare function useVisitor(options: VisitorOptions): VisitorState;
/** The visitor of the nearest `<VisitorProvider>` above (throws without one). */
export declare function useVisitor(): VisitorState;

export interface VisitorProviderProps {
  /** The visitor's options, keyed on their values as `useVisitor(options)` keys them. */
  readonly options: VisitorOptions;
  readonly children?: ReactNode;
}

/** Makes one visitor for `options` (as `useVisitor(options)` does) for every `useVisitor()` below. */
export declare function VisitorProvider(props: VisitorProviderProps): ReactElement;

/**
 * Listens to one of giosg's real-time channels (`visitor.subscribe(channel, listener)`) of the
 * nearest `<VisitorProvider>`'s visitor, or of `visitor` (the `visitor` a `useVisitor(options)`
 * returned). Subscribed once the visitor is made and `channel` is given (`null` or `undefined`
 * wait, for a channel built from `visitorId` before there is one); unsubscribed when either
 * changes and on unmount. The newest `listener` is called, without subscribing again.
 */
export declare function useChannel(channel: string | null | undefined, listener: (change: Change) => void, visitor?: Visitor | null): void;
