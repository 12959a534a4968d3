
/**
 * Options of `new Visitor(options)`. Every option but `organizationId` may be left out, or given
 * as `undefined` or `null`: each means the default. A value of the wrong type, out of its range,
 * or an unknown option name throws a `VisitorError` with code `invalid_options` naming the option.
 */
export interface VisitorOptions {
  /** The organization's UUID; case-insensitive, normalized to lower case. Required. */
  organizationId: string;
  /** The API's base URL: https only, except http on localhost, 127.0.0.1 and [::1] (any port);
   * a path prefix is kept. Default `"https://service.giosg.com"`. */
  apiBaseUrl?: string | null;
  /** Where the secret and the session cache live. Default `"local"`. */
  storage?: "local" | "session" | "memory" | null;
  /** Prefix of every storage key, 1 to 100 characters. Default `"giosg"`. */
  storageKeyPrefix?: string | null;
  /** Keep the token fresh with a timer and on page resume. Default `true`. */
  autoRenew?: boolean | null;
  /** Renew when this much validity is left (plus a random extra), in seconds from 0 to 86400.
   * Default `60`. */
  renewBeforeSeconds?: number | null;
  /** Timeout of each auth request, in whole milliseconds from 1 to 600000. Default `10000`. */
  requestTimeoutMs?: number | null;
  /** Extra origins (`https://host[:port]`; http only for localhost, 127.0.0.1 and [::1]) `fetch()`
   * may send the token to, beside `apiBaseUrl`'s. Default `[]`. */
  allowedOrigins?: string[] | null;
  /** What to do when the server refuses the stored secret: `"reset"` adopts a new identity
   * (`identitychange`), `"error"` rejects with `secret_rejected` and stores nothing. Default
   * `"reset"`. */
  onSecretRejected?: "reset" | "error" | null;
}

/** An authenticated visitor's session. Never contains the visitor secret. */
export interface Session {
  /** The visitor's id at this organization (the same secret has another id at another one). */
  visitorId: string;
  /** The organization, in lower case. */
  organizationId: string;
  /** The real-time message router's URL for this visitor. */
  socketUrl: string;
  /** The token for `Authorization: Bearer` (what `fetch()` sends). */
  accessToken: string;
  /** When the token expires, on the local clock: request sent + `expiresIn`. The SDK schedules
   * renewals by this one. */
  expiresAt: Date;
  /** The server's `expires_at` as it was sent (`null` if it is not a date). Reported only: client
   * clocks are often wrong, so it is never used for scheduling. */
  serverExpiresAt: Date | null;
  /** The token's lifetime in seconds, as the server granted it. */
  expiresIn: number;
  /** The visitor's id across organizations, where the server sends one. */
  visitorGlobalId?: string;
}

/**
 * What went wrong: `invalid_options` (a bad argument; nothing was done), `network` (no answer,
 * a refused connection, or the page's Content Security Policy), `timeout` (`requestTimeoutMs`
 * passed), `http` (an error status, in `status`, or a redirect, which is not followed),
 * `invalid_response` (an answer that failed
 * validation; nothing was stored), `secret_rejected` (the stored secret was refused, with
 * `onSecretRejected: "error"`), `origin_not_allowed` (`fetch()` to an origin that may not get the
 * token; nothing was sent), `stopped` (after `stop()`, `free()` or `[Symbol.dispose]()`),
 * `invalid_channel` (`subscribe()` was given something that is not a channel; nothing was done),
 * `channel_refused` (the server refused a channel also with a renewed token: it ended; the error
 * names it in `channel`), `unsupported` (the environment cannot run the SDK: not a browser, or no
 * WebAssembly; `ready` rejects with it).
 */
export type VisitorErrorCode =
  | "invalid_options"
  | "network"
  | "timeout"
  | "http"
  | "invalid_response"
  | "secret_rejected"
  | "origin_not_allowed"
  | "stopped"
  | "invalid_channel"
  | "channel_refused"
  | "unsupported";

/** Every error of the SDK. `message` never contains a token or a secret. */
export interface VisitorError extends Error {
  /** Always `"VisitorError"`. */
  name: "VisitorError";
  /** What went wrong, to branch on; `message` says it in words. */
  code: VisitorErrorCode;
  /** The HTTP status, for `code === "http"` (none for a redirect: the browser hides it). */
  status?: number;
  /** The channel that ended, for `code === "channel_refused"`. */
  channel?: string;
}

/** A notification of a real-time channel (`visitor.subscribe(channel, listener)`). */
export interface Change {
  /** The channel, as subscribed. */
  channel: string;
  /** A resource of the channel's list was added, changed or removed. */
  action: "added" | "changed" | "removed";
  /** The resource's id (`resourceId` or `resource_id` on the wire), `null` when none was sent. */
  resourceId: string | null;
  /** All of the resource for `added`, the changed attributes for `changed`, `null` for
   * `removed`: as the server sent it. */
  resource: Record<string, unknown> | null;
}

export interface RealtimeEventDetail {
  /** The visitor's socket: opening, open, or closed (none wanted, or waiting to reopen). */
  state: "connecting" | "open" | "closed";
  /** How many channels are subscribed on it. */
  channels: number;
}

export interface ResyncEventDetail {
  /** How many channels were subscribed again. */
  channels: number;
  /** When the socket went down: notifications since may have been missed, so fetch those lists
   * again over HTTP. */
  since: Date;
}

export interface SessionEventDetail {
  /** The session adopted: the one `visitor.session` now returns. */
  session: Session;
  /** Where the session came from: the server, storage at start (`"cache"`), or another tab (or
   * another visitor of the page) that renewed it. */
  source: "network" | "cache" | "tab";
}

export interface IdentityChangeEventDetail {
  /** The visitor's id before the change (`null`: there was none, as after `forget()`). */
  previousVisitorId: string | null;
  /** The visitor's id now (`null` after `forget()`, or when storage was cleared). */
  visitorId: string | null;
}

export interface StorageEventDetail {
  /**
   * Why, as a code:
   * - `"unavailable"`: the storage is missing, or its calls fail (the SDK goes on in memory);
   * - `"quota"`: a write did not fit (`QuotaExceededError`; the SDK goes on in memory);
   * - `"security"`: the browser refused access (`SecurityError`: privacy settings, blocked
   *   cookies, a sandboxed iframe; the SDK goes on in memory);
   * - `"changed"`: `setStorage()` moved the visitor.
   */
  reason: "unavailable" | "quota" | "security" | "changed";
  /** The same in readable English, for a log (never a stored value, a token or the secret). */
  message: string;
  /** Where the secret and the session are kept now: `"memory"` after a failure, the new kind
   * after `setStorage()`. */
  kind: "local" | "session" | "memory";
}

/** The events of `Visitor.on`, by name, with their details. */
export interface VisitorEventMap {
  /** A new token was adopted. */
  session: SessionEventDetail;
  /** `visitorId` changed: `forget()` (to `null`), the first identity after it, or a reset secret. */
  identitychange: IdentityChangeEventDetail;
  /** A background renewal failed (once per failure streak); a still-valid token stays in use. Or
   * a channel ended (`code === "channel_refused"`, with `channel`). */
  error: VisitorError;
  /** Where the secret and the session are kept changed: a fallback to memory, or `setStorage()`. */
  storage: StorageEventDetail;
  /** The real-time socket's state changed, or how many channels are subscribed on it. */
  realtime: RealtimeEventDetail;
  /** The socket was down and every channel is subscribed again: notifications may have been
   * missed. */
  resync: ResyncEventDetail;
}

export interface Visitor {
  /**
   * A session whose token is valid for at least the renewal lead: the cached one when it
   * qualifies (no request), otherwise a new one. `force: true` always asks the server.
   * Starts auto-renewal.
   */
  authenticate(opts?: { force?: boolean | null } | null): Promise<Session>;
  /**
   * A token valid for at least `minValidity` seconds (default 5, at most 86400), renewing first
   * when needed. Rejects with `invalid_options` when even a fresh token is not valid that long
   * (the server grants shorter tokens).
   */
  getAccessToken(opts?: { minValidity?: number | null } | null): Promise<string>;
  /**
   * The platform `fetch` with `Authorization: Bearer <token>`. A path resolves against
   * `apiBaseUrl`; an absolute URL must be of `apiBaseUrl`'s origin or `allowedOrigins`, otherwise
   * it rejects with `origin_not_allowed` and nothing is sent. A 401 renews once and repeats once
   * (a 401 to the token that renewal brought is the answer). No answer within
   * `requestTimeoutMs` rejects with `timeout`.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /**
   * Listens to one of giosg's real-time channels: `channel` is the path of the matching HTTP
   * endpoint (`/api/v5/public/visitors/<visitorId>/chats`), else it throws `invalid_channel`.
   * The first channel opens the visitor's socket (authenticating when needed), the last one
   * unsubscribed closes it; renewals, drops, sleeps and a moved router are handled (`resync` says
   * when notifications may have been missed). Returns the function that unsubscribes (harmless
   * twice). Throws `stopped` after `stop()`.
   */
  subscribe(channel: string, listener: (change: Change) => void): () => void;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof VisitorEventMap>(event: K, listener: (detail: VisitorEventMap[K]) => void): () => void;
}
