import type { VisitorErrorCode } from "./web/giosg_visitor.js";

export { Visitor } from "./web/giosg_visitor.js";
export type {
  VisitorOptions,
  Session,
  VisitorErrorCode,
  VisitorEventMap,
  SessionEventDetail,
  IdentityChangeEventDetail,
  StorageEventDetail,
  Change,
  RealtimeEventDetail,
  ResyncEventDetail,
} from "./web/giosg_visitor.js";

/**
 * Every error of the SDK: `error instanceof VisitorError`. `message` never contains a token or a
 * secret. `new Visitor(...)` before `ready` throws one with code `invalid_options`; outside a
 * browser (or without WebAssembly), one with code `unsupported`.
 */
export declare class VisitorError extends Error {
  private constructor(code: VisitorErrorCode, message: string, status?: number);
  /** Always `"VisitorError"`. */
  readonly name: "VisitorError";
  /** What went wrong, to branch on; `message` says it in words. */
  readonly code: VisitorErrorCode;
  /** The HTTP status, for `code === "http"` (none for a redirect: the browser hides it). */
  readonly status?: number;
  /** The channel that ended, for `code === "channel_refused"`. */
  readonly channel?: string;
}

/**
 * Resolves once the WebAssembly module is loaded and `Visitor` can be constructed. Outside a
 * browser (server-side rendering), or without WebAssembly, it rejects with a `VisitorError`
 * `unsupported`, and nothing is loaded.
 */
export declare const ready: Promise<void>;
