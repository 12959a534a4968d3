// The browser effects the lifecycle asks for (src/core/lifecycle.rs, `Shell`), done with
// `fetch`, Web Locks, `setTimeout` and page events, and the promises of the page's calls.
//
// No decisions here: what to send, when, what an answer means and what to keep are the Rust
// core's. The Rust side asks through `run(command, n, m, a, b, v, w)` and `helper(op, v, a, b,
// n)` (one import each for all commands: each import costs the shipped glue and .wasm a wrapper
// and a hashed name). What an effect brings goes back through `deliver(kind, n, a, b, c)`,
// always from a microtask of its own, never from inside a call of the Rust side (which holds its
// state then). Commands and kinds are numbered alike in src/web/shell.rs, helpers in
// src/web/sys.rs.

const INIT = { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" } };

export class Effects {
  constructor(deliver, storage) {
    this.d = (...args) => queueMicrotask(() => this.c && deliver(...args));
    this.storage(storage);
    /** Pending calls of the page: id -> [resolve, reject, url, init]. */
    this.c = new Map();
    /** Listeners: [event, listener]. */
    this.l = [];
  }

  /** Command `op` of the Rust side, with its numbers `n` `m`, strings `a` `b` and values `v` `w`. */
  run(op, n, m, a, b, v, w) {
    switch (op) {
      case 1: return this.post(n, a, b, m);
      case 2: return this.a?.abort();
      case 3: return this.timer(n);
      case 4: return this.lock(a, n);
      case 5: return this.unlock();
      case 6: return this.listen(n, m);
      case 7: return this.get(a);
      case 8: return this.set(a, b);
      case 9: return this.remove(a);
      case 10: return this.degraded();
      case 11: return this.send(n, a, m);
      case 12: return this.call(n, a, v);
      case 13: return this.settle(n, m, v);
      case 14: return this.halt(v);
      case 15: return this.on(v, w);
      case 16: return this.emit(a, v, w);
      case 17: return session(a);
      case 18: return new Date(n);
    }
  }

  // ---- The page's calls ----

  /** The promise of call `id`; `fetch()` calls keep their URL and init (default `{}`) for
   * `send`. After `halt`, rejected at once. */
  call(id, url, init) {
    if (!this.c) return Promise.reject(this.h);
    return new Promise((resolve, reject) => this.c.set(id, [resolve, reject, url, init ?? {}]));
  }

  settle(id, ok, value) {
    const call = this.c?.get(id);
    if (call) {
      this.c.delete(id);
      call[ok ? 0 : 1](value);
    }
  }

  /** `stop()`: every pending call rejects with `error`; listeners are dropped, and nothing is
   * delivered any more (the Rust side may be gone). */
  halt(error) {
    for (const call of this.c?.values() ?? []) call[1](error);
    this.c = null;
    this.h = error;
    this.l = [];
  }

  /** The page's request of `fetch()` call `id`, with the token; delivers (6, id, response,
   * status, retried), or for a failure (6, id, error, how, retried): `how` -1 for a bad
   * `init.headers`, -2 for the caller's own abort (an `AbortError`), 0 for anything else. */
  send(id, token, retried) {
    const call = this.c?.get(id);
    if (!call) return;
    const init = call[3];
    let headers;
    try {
      headers = new Headers(init.headers ?? undefined);
      headers.set("Authorization", "Bearer " + token);
    } catch {
      return this.d(6, id, undefined, -1, retried);
    }
    fetch(call[2], { ...init, headers }).then(
      (response) => this.d(6, id, response, response.status, retried),
      (error) => this.d(6, id, error, error?.name == "AbortError" ? -2 : 0, retried),
    );
  }

  // ---- Events ----

  /** Subscribes; returns the function that unsubscribes, or what is wrong with the arguments. */
  on(event, listener) {
    if (!["session", "identitychange", "error", "storage"].includes(event)) {
      return 'on(event): event must be "session", "identitychange", "error" or "storage"';
    }
    if (typeof listener != "function") return "on(event, listener): listener must be a function";
    const entry = [event, listener];
    this.l.push(entry);
    return () => {
      this.l = this.l.filter((e) => e !== entry);
    };
  }

  /** Calls the listeners of `event` from a microtask with its detail, made of `a` and `b`; one
   * that throws does not stop the others (its exception is reported as the page reports
   * uncaught ones). */
  emit(event, a, b) {
    const detail =
      event == "session" ? { session: a, source: b }
      : event == "identitychange" ? { previousVisitorId: a, visitorId: b }
      : event == "storage" ? { reason: a }
      : a;
    queueMicrotask(() => {
      for (const [e, listener] of this.l) {
        if (e !== event) continue;
        try {
          listener(detail);
        } catch (error) {
          globalThis.reportError?.(error);
        }
      }
    });
  }

  // ---- The auth request ----

  /** POSTs `body`, all within `ms`; delivers (1, seq, status, body, Retry-After), or status 0
   * (network) or -1 (timeout). */
  post(seq, url, body, ms) {
    const controller = (this.a = new AbortController());
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      controller.abort();
    }, ms);
    fetch(url, { ...INIT, body, signal: controller.signal })
      .then((r) => r.text().then((text) => this.d(1, seq, r.status, text, r.headers.get("Retry-After"))))
      .catch(() => this.d(1, seq, late ? -1 : 0))
      .finally(() => clearTimeout(timer));
  }

  // ---- Storage ----

  /** Uses the browser storage `name` (`localStorage` or `sessionStorage`; `memory`: none). Every
   * value read or written is also kept in memory, so that when the browser storage goes missing
   * or starts throwing (SecurityError in sandboxed iframes, QuotaExceededError), the visitor
   * carries on in memory; `degraded()` says why, once. */
  storage(name) {
    this.n = name;
    this.m = new Map();
    if (name === "memory") return;
    try {
      // Reading the property itself throws in some sandboxed iframes.
      this.b = globalThis[name];
      if (!this.b) this.r = name + " is not available: keeping the visitor in memory";
    } catch (error) {
      this.r = name + " threw " + errorName(error) + ": keeping the visitor in memory";
    }
  }

  get(key) {
    if (this.b) {
      try {
        const value = this.b.getItem(key);
        value == null ? this.m.delete(key) : this.m.set(key, value);
        return value;
      } catch (error) {
        this.fail(error, "reading");
      }
    }
    return this.m.get(key);
  }

  set(key, value) {
    this.m.set(key, value);
    try {
      this.b?.setItem(key, value);
    } catch (error) {
      this.fail(error, "writing");
    }
  }

  remove(key) {
    this.m.delete(key);
    try {
      this.b?.removeItem(key);
    } catch (error) {
      this.fail(error, "removing from");
    }
  }

  fail(error, doing) {
    this.r = errorName(error) + " " + doing + " " + this.n + ": keeping the visitor in memory";
    this.b = null;
  }

  /** Why the browser storage is no longer used, if not said yet. */
  degraded() {
    const reason = this.r;
    this.r = null;
    return reason;
  }

  // ---- The timer, the lock, the page ----

  /** Arms the one timer, which delivers (2); a negative delay disarms it. */
  timer(ms) {
    clearTimeout(this.t);
    if (ms >= 0) this.t = setTimeout(() => this.d(2), ms);
  }

  /** Asks for the exclusive lock `name`; delivers (3, 1) when granted, (3, 0) when refused.
   * 0 without Web Locks, else 1. */
  lock(name, ifAvailable) {
    const mine = (this.k = { abort: new AbortController() });
    const say = (granted) => queueMicrotask(() => this.k === mine && this.d(3, granted));
    try {
      // A signal may not go with `ifAvailable`, nor is one needed there.
      navigator.locks
        .request(name, ifAvailable ? { ifAvailable: true } : { signal: mine.abort.signal }, (lock) => {
          if (this.k !== mine) return;
          say(lock ? 1 : 0);
          // Held until `unlock()`.
          if (lock) return new Promise((release) => (mine.release = release));
        })
        .catch(() => say(0));
      return 1;
    } catch {
      return 0;
    }
  }

  /** Releases the lock held, or withdraws the request for it. */
  unlock() {
    const mine = this.k;
    this.k = null;
    if (mine) mine.release ? mine.release() : mine.abort.abort();
  }

  /** Page events that mean "check the token now" deliver (4): `visibilitychange` to visible,
   * `pageshow`, `online`. With `tabs`, other tabs' storage writes deliver (5, 0, key, value).
   * Outside a window (a worker), nothing. */
  listen(on, tabs) {
    const window = globalThis;
    const document = window.document;
    if (!document) return;
    const method = on ? "addEventListener" : "removeEventListener";
    this.p ??= (event) => (event.type !== "visibilitychange" || !document.hidden) && this.d(4);
    this.s ??= (event) => this.d(5, 0, event.key, event.newValue);
    document[method]("visibilitychange", this.p);
    window[method]("pageshow", this.p);
    window[method]("online", this.p);
    if (tabs || !on) window[method]("storage", this.s);
  }
}

/** Helper `op` of the Rust side, which needs no `Effects` (one import for all, as `run`; the
 * numbers are in src/web/sys.rs). */
export function helper(op, v, a, b, n) {
  switch (op) {
    case 1: return fields(v, a, b, n);
    case 2: return visitorError(a, b, n);
    case 3: return member(v, a);
    case 4:
      try {
        return JSON.parse(a);
      } catch {
        return; // Not JSON: `undefined`, which JSON cannot be.
      }
    case 5: return Date.now();
    case 6: return Math.random();
    case 7: return v === null ? 1 : Array.isArray(v) ? 5 : (KINDS[typeof v] ?? 6);
    case 8: return v[n];
    case 9: return v.length;
    case 10:
      try {
        const url = new URL(a);
        // Flags as 1 and 0, as `fields` gives booleans.
        return [url.protocol, url.hostname, url.origin, url.pathname, +!!(url.username || url.password), +/[?#]/.test(a)];
      } catch {
        return; // Not an absolute URL.
      }
  }
}

/** The members `names` (space-separated) of `object` (`null` or `undefined`: none), each checked
 * for its JS type, `kinds` having a letter per name: `s` string, `n` number, `b` boolean (given
 * as 1 or 0), `a` array of strings. With `strict`, other own enumerable members are refused (a typo would go
 * unnoticed). The values (`undefined` for absent ones), or what is wrong. Only the types: what
 * a valid value is, the Rust core decides. */
function fields(object, names, kinds, strict) {
  const list = names.split(" ");
  if (object == null) return [];
  if (strict) for (const key of Object.keys(object)) if (!list.includes(key)) return `unknown option "${key}"`;
  const values = [];
  for (let i = 0; i < list.length; i++) {
    let value;
    try {
      value = object[list[i]];
    } catch {
      return list[i] + " could not be read";
    }
    const kind = kinds[i];
    const ok = kind == "a" ? Array.isArray(value) && value.every((v) => typeof v == "string") : typeof value == TYPES[kind];
    if (value !== undefined && !ok) return list[i] + MUST[kind];
    // Booleans as 1 and 0: numbers are what the Rust side reads anyway.
    values.push(kind == "b" && value !== undefined ? +value : value);
  }
  return values;
}

/** What a value is, for `helper` 7 (null is 1, an array 5). */
const KINDS = { undefined: 0, boolean: 2, number: 3, string: 4, object: 6, function: 7 };

const TYPES = { s: "string", n: "number", b: "boolean" };
const MUST = { s: " must be a string", n: " must be a number", b: " must be true or false", a: " must be an array of strings" };

/** The own member `key` of a plain (not array) object, as `JSON.parse` makes them, or
 * `undefined` (members a page added to `Object.prototype` do not count). */
function member(object, key) {
  try {
    if (typeof object == "object" && object && !Array.isArray(object) && Object.hasOwn(object, key)) return object[key];
  } catch {}
}

/** The name of a thrown value (`SecurityError`, `QuotaExceededError`, ...). */
const errorName = (error) => (typeof error?.name == "string" ? error.name : "an error");

/** A `VisitorError`: an `Error` with `name`, `code` and, for HTTP errors, `status`. */
function visitorError(code, message, status) {
  const error = new Error(message);
  error.name = "VisitorError";
  error.code = code;
  if (status) error.status = status;
  return error;
}

/** The `Session` object of a session record (src/core/record.rs), which never holds the secret:
 * the record's members but its version, the secret's tag, the renewal point and the server's
 * `expiresAt` text, with `expiresAt` the local expiry as a `Date`. */
function session(record) {
  const { v, secretTag, renewAtMs, expiresAt, expiresAtMs, ...session } = JSON.parse(record);
  return { ...session, expiresAt: new Date(expiresAtMs) };
}
