
/** Options of `new Visitor(options)`. */
export interface VisitorOptions {
  /** The organization's UUID; case-insensitive, normalized to lower case. */
  organizationId: string;
  /** Default `"https://service.giosg.com"`. https only, except http on localhost, 127.0.0.1 and [::1]. */
  apiBaseUrl?: string;
  /** Where the secret and the session cache live. Default `"local"`. */
  storage?: "local" | "session" | "memory";
  /** Prefix of every storage key, 1 to 100 characters. Default `"giosg"`. */
  storageKeyPrefix?: string;
  /** Keep the token fresh with a timer and on page resume. Default `true`. */
  autoRenew?: boolean;
  /** Renew when this much validity is left (plus a random extra), in seconds from 0 to 86400.
   * Default `60`. */
  renewBeforeSeconds?: number;
  /** Timeout of each auth request, in whole milliseconds from 1 to 600000. Default `10000`. */
  requestTimeoutMs?: number;
  /** Extra origins `fetch()` may send the token to, beside `apiBaseUrl`'s. Default `[]`. */
  allowedOrigins?: string[];
  /** What to do when the server refuses the stored secret. Default `"reset"`. */
  onSecretRejected?: "reset" | "error";
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

export type VisitorErrorCode =
  | "invalid_options"
  | "network"
  | "timeout"
  | "http"
  | "invalid_response"
  | "secret_rejected"
  | "origin_not_allowed"
  | "stopped";

/** Every error of the SDK. `message` never contains a token or a secret. */
export interface VisitorError extends Error {
  name: "VisitorError";
  code: VisitorErrorCode;
  /** The HTTP status, for `code === "http"`. */
  status?: number;
}

export interface SessionEventDetail {
  session: Session;
  /** Where the session came from: the server, storage at start (`"cache"`), or another tab (or
   * another visitor of the page) that renewed it. */
  source: "network" | "cache" | "tab";
}

export interface IdentityChangeEventDetail {
  previousVisitorId: string | null;
  visitorId: string | null;
}

export interface StorageEventDetail {
  /** `"changed"` after `setStorage()`; after a fallback to memory, a sentence saying which
   * storage failed, and how. */
  reason: string;
  /** Where the secret and the session are kept now. */
  kind: "local" | "session" | "memory";
}

/** The events of `Visitor.on`, by name, with their details. */
export interface VisitorEventMap {
  session: SessionEventDetail;
  identitychange: IdentityChangeEventDetail;
  error: VisitorError;
  storage: StorageEventDetail;
}

export interface Visitor {
  /**
   * A session whose token is valid for at least the renewal lead: the cached one when it
   * qualifies (no request), otherwise a new one. `force: true` always asks the server.
   * Starts auto-renewal.
   */
  authenticate(opts?: { force?: boolean }): Promise<Session>;
  /**
   * A token valid for at least `minValidity` seconds (default 5, at most 86400), renewing first
   * when needed. Rejects with `invalid_options` when even a fresh token is not valid that long
   * (the server grants shorter tokens).
   */
  getAccessToken(opts?: { minValidity?: number }): Promise<string>;
  /**
   * The platform `fetch` with `Authorization: Bearer <token>`. A path resolves against
   * `apiBaseUrl`; an absolute URL must be of `apiBaseUrl`'s origin or `allowedOrigins`, otherwise
   * it rejects with `origin_not_allowed` and nothing is sent. A 401 renews once and repeats once.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof VisitorEventMap>(event: K, listener: (detail: VisitorEventMap[K]) => void): () => void;
}
