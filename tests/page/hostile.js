// The page is hostile ground (SPEC §3): what a page may do around the SDK, and what must still
// hold. Each scenario runs against the shipped package (pkg/, served by the local server, loaded
// here with a dynamic import) and throws an Error that says what broke; tests/page.rs runs each
// one in Chrome, Firefox and WebKit. Waits are bounded by events or by a deadline that only
// fails the test, never by a sleep that hopes.

// The platform's own, captured before any scenario replaces them.
const platformFetch = window.fetch;
const platformRandom = Math.random;

let loading;
function load(server) {
  loading ??= import(`${server}/pkg/index.js`).then(async (sdk) => {
    await sdk.ready;
    return sdk;
  });
  return loading;
}

/** A fresh organization and storage prefix, and the options of a visitor on them. */
function fresh(server, extra = {}) {
  const org = crypto.randomUUID();
  const prefix = `page${platformRandom().toString(36).slice(2)}`;
  const options = (more = {}) => ({ organizationId: org, apiBaseUrl: server, storageKeyPrefix: prefix, ...extra, ...more });
  const keys = [`${prefix}:${server}:secret`, `${prefix}:${server}:${org}:session`];
  return { server, org, prefix, options, keys };
}

async function control(env, method, path, body) {
  const response = await platformFetch.call(window, `${env.server}/__control/orgs/${env.org}${path}`, { method, body });
  if (!response.ok) throw new Error(`control ${method} ${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}
const stats = (env) => control(env, "GET", "/stats");
const authRequests = async (env) => (await stats(env)).auth_requests;
const fault = (env, value) => control(env, "PUT", "/faults", JSON.stringify(value));
const clearFaults = (env) => control(env, "DELETE", "/faults");

/** `{ ok, value }` or `{ ok: false, error }` of `promise`, or an Error after `ms`. */
async function within(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise.then((value) => [true, value], (error) => [false, error]), deadline]).then(([ok, value]) =>
      ok ? { ok, value } : { ok, error: value },
    );
  } finally {
    clearTimeout(timer);
  }
}

async function resolves(promise, what, ms = 15000) {
  const result = await within(promise, ms, what);
  if (!result.ok) throw new Error(`${what}: rejected with ${describe(result.error)}`);
  return result.value;
}

async function rejectsWith(sdk, promise, code, what, ms = 15000) {
  const result = await within(promise, ms, what);
  if (result.ok) throw new Error(`${what}: resolved, expected VisitorError ${code}`);
  if (!(result.error instanceof sdk.VisitorError) || result.error.code !== code) {
    throw new Error(`${what}: rejected with ${describe(result.error)}, expected VisitorError ${code}`);
  }
  return result.error;
}

function describe(value) {
  if (value instanceof Error || value instanceof DOMException) return `${value.name} ${value.code ?? ""}: ${value.message}`;
  return String(value);
}

/** The lock manager holds no lock of this environment's visitors. */
async function noLockHeld(env) {
  const { held = [] } = await navigator.locks.query();
  const ours = held.filter((lock) => lock.name.startsWith(`${env.prefix}:`));
  if (ours.length) throw new Error(`a Web Lock is still held: ${ours.map((l) => l.name).join(", ")}`);
}

/** After a misbehavior: the visitor answers again, holds no lock, and another visitor of the page
 * sharing its lock gets a session with one request. */
async function nothingStuck(sdk, env, visitor) {
  await resolves(visitor.authenticate({ force: true }), "a later call of the same visitor");
  await noLockHeld(env);
  const other = fresh(env.server);
  const neighbour = new sdk.Visitor({ ...other.options(), storageKeyPrefix: env.prefix });
  await resolves(neighbour.authenticate(), "another visitor sharing the lock");
  neighbour.stop();
  visitor.stop();
}

// ---- 1. A page's fetch wrapper, JSON, clock and prototypes ----

const FETCH_MISBEHAVIORS = {
  throws: () => {
    throw new TypeError("a wrapper's own bug");
  },
  notAResponse: async () => ({ ok: true, status: 200, json: async () => ({}) }),
  rejectsWithAString: () => Promise.reject("offline"),
  notAPromise: () => 42,
  thenableThatThrows: () => ({
    then() {
      throw new Error("a broken thenable");
    },
  }),
  neverSettles: () => new Promise(() => {}),
};

/** The page's `fetch` misbehaves once (`how`), then works: the call that met it succeeds on its
 * retry, and nothing is left stuck. */
export async function fetchWrapperMisbehavingOnce(server, how) {
  const sdk = await load(server);
  const env = fresh(server, { requestTimeoutMs: 1000 });
  const visitor = new sdk.Visitor(env.options());
  let calls = 0;
  window.fetch = function (...args) {
    calls += 1;
    return calls === 1 ? FETCH_MISBEHAVIORS[how](...args) : platformFetch.apply(this, args);
  };
  try {
    await resolves(visitor.authenticate(), `authenticate() after the page's fetch ${how} once`);
  } finally {
    window.fetch = platformFetch;
  }
  if (calls < 2) throw new Error(`the page's fetch was called ${calls} time(s): the failed request was not retried`);
  if ((await authRequests(env)) !== 1) throw new Error("the server did not see exactly one auth request");
  await nothingStuck(sdk, env, visitor);
}

/** The page's `fetch` misbehaves (`how`) for a request of `visitor.fetch()`: the call rejects
 * with `VisitorError` `network`, and nothing is left stuck. */
export async function fetchWrapperMisbehavingForThePagesRequest(server, how) {
  const sdk = await load(server);
  const env = fresh(server);
  const visitor = new sdk.Visitor(env.options());
  await resolves(visitor.authenticate(), "authenticate()");
  window.fetch = FETCH_MISBEHAVIORS[how];
  try {
    await rejectsWith(sdk, visitor.fetch(`/api/v5/public/orgs/${env.org}/rooms`), "network", `visitor.fetch() through a fetch that ${how}`);
  } finally {
    window.fetch = platformFetch;
  }
  await nothingStuck(sdk, env, visitor);
}

/** `Object.prototype.then` makes the `Response` of the platform's `fetch` a thenable that never
 * settles while a request is out: the request times out, and the retry (pollution gone) succeeds.
 *
 * Every other object passes through as if `then` were not there: the WebDriver session that runs
 * this page resolves promises with objects too, and would hang with it. */
export async function objectPrototypeThenPolluted(server) {
  const sdk = await load(server);
  const env = fresh(server, { requestTimeoutMs: 1000 });
  const visitor = new sdk.Visitor(env.options());
  function neverSettlesForAResponse(resolve) {
    if (this instanceof Response) return;
    delete Object.prototype.then;
    try {
      resolve(this);
    } finally {
      pollute();
    }
  }
  const pollute = () => Object.defineProperty(Object.prototype, "then", { value: neverSettlesForAResponse, configurable: true, writable: true });
  const unpollute = () => delete Object.prototype.then;
  let calls = 0;
  window.fetch = function (...args) {
    calls += 1;
    if (calls > 1) unpollute();
    return platformFetch.apply(this, args);
  };
  pollute();
  try {
    await resolves(visitor.authenticate(), "authenticate() while Object.prototype.then never settled");
  } finally {
    unpollute();
    window.fetch = platformFetch;
  }
  if (calls < 2) throw new Error("the request was not retried: was the pollution in place?");
  await nothingStuck(sdk, env, visitor);
}

/** The page replaced `JSON.parse`, `Date.now` or `Math.random` with something that throws or
 * hands back the wrong thing: every call settles (a session, or a VisitorError), and once the
 * page puts them back, nothing is stuck. */
export async function pageGlobalsReplaced(server, which) {
  // The page is a frame of this document: its globals are the ones replaced, and the SDK it
  // loaded meets them. Not this document's own: WebKit's WebDriver runs the test runner's
  // commands (its polling of this document's output) with the page's `JSON`, so a `JSON.parse`
  // that throws here would fail the runner, not the SDK ("javascript error: no JSON today").
  const { page, sdk, leave } = await pageInAFrame(server);
  const { JSON: json, Date: date, Math: math } = page;
  const [parse, now, random] = [json.parse, date.now, math.random];
  const env = fresh(server);
  const visitor = new sdk.Visitor(env.options());
  const replace = {
    jsonParseThrows: () => (json.parse = () => { throw new SyntaxError("no JSON today"); }),
    jsonParseFrozen: () => (json.parse = (text) => Object.freeze(parse.call(json, text))),
    dateNowThrows: () => (date.now = () => { throw new Error("no clock"); }),
    dateNowNotANumber: () => (date.now = () => "soon"),
    mathRandomThrows: () => (math.random = () => { throw new Error("no chance"); }),
  }[which];
  replace();
  let result;
  try {
    result = await within(visitor.authenticate(), 15000, `authenticate() with ${which}`);
  } finally {
    json.parse = parse;
    date.now = now;
    math.random = random;
  }
  try {
    if (!result.ok && !(result.error instanceof sdk.VisitorError)) throw new Error(`rejected with ${describe(result.error)}, not a VisitorError`);
    await nothingStuck(sdk, env, visitor);
  } finally {
    leave();
  }
}

/** A page of this origin in a frame of this document, with the package loaded there (a module,
 * and a wasm instance, of its own): `{ page, sdk, leave }`, `page` its window, `leave()` removing
 * it. It shares this document's storage and Web Locks (the same origin). */
async function pageInAFrame(server) {
  const frame = document.body.appendChild(document.createElement("iframe"));
  const leave = () => frame.remove();
  try {
    const page = frame.contentWindow;
    // `import()` made by the frame's own code: the module is evaluated in the frame's realm.
    const sdk = await new page.Function("url", "return import(url)")(`${server}/pkg/index.js`);
    await sdk.ready;
    return { page, sdk, leave };
  } catch (error) {
    leave();
    throw error;
  }
}

// ---- 1b. Page code that the SDK runs calls a visitor back ----

/** Page code the SDK runs while it decides (`hook`: a `Storage.prototype.setItem`, `Date.now` or
 * `JSON.parse` replacement) does `action` once, from inside: calls another visitor of the page
 * (`forgetAnother`, `setStorageAnother`), reads getters (`readGetters`), or calls the visitor that
 * is deciding (`callItself`). Every call settles as if made right after, the getters read the
 * visitors as they are, and nothing is stuck (no wasm trap, no lock held). */
export async function pageCodeCallsAVisitorFromInside(server, hook, action) {
  const { page, sdk, leave } = await pageInAFrame(server);
  const storageProto = page.Storage.prototype;
  const originals = { setItem: storageProto.setItem, now: page.Date.now, parse: page.JSON.parse };
  const env = fresh(server);
  const other = fresh(server);
  const room = (await control(env, "POST", "/rooms", "{}")).id;
  try {
    const b = new sdk.Visitor(other.options());
    const before = await resolves(b.authenticate(), "the other visitor's first authenticate()");
    const a = new sdk.Visitor(env.options());
    const pending = [];
    let read = null;
    let armed = false;
    const act = () => {
      if (!armed) return;
      armed = false;
      if (action === "forgetAnother") pending.push(["the other's forget()", b.forget()]);
      if (action === "setStorageAnother") pending.push(["the other's setStorage(\"session\")", b.setStorage("session")]);
      if (action === "readGetters") {
        read = { org: a.organizationId, kind: a.storageKind, otherId: b.visitorId, otherSession: b.session?.visitorId ?? null, otherKind: b.storageKind };
      }
      if (action === "callItself") {
        pending.push(["its own getAccessToken()", a.getAccessToken()]);
        pending.push(["its own fetch()", a.fetch(`/api/v5/public/orgs/${env.org}/rooms/${room}`)]);
      }
    };
    const install = {
      setItem: () => (storageProto.setItem = function (key, value) { act(); return originals.setItem.call(this, key, value); }),
      dateNow: () => (page.Date.now = function () { act(); return originals.now.call(page.Date); }),
      jsonParse: () => (page.JSON.parse = function (text, reviver) { act(); return originals.parse.call(page.JSON, text, reviver); }),
    }[hook];
    install();
    armed = true;
    const what = `${action} from a ${hook} replacement`;
    try {
      await resolves(a.authenticate(), `${what}: authenticate()`);
    } finally {
      storageProto.setItem = originals.setItem;
      page.Date.now = originals.now;
      page.JSON.parse = originals.parse;
    }
    if (armed) throw new Error(`${what}: the SDK never ran the replacement`);
    const results = [];
    for (const [name, promise] of pending) results.push(await resolves(promise, `${what}: ${name}`));
    if (action === "forgetAnother") {
      if (b.session !== null) throw new Error(`${what}: the other visitor still has a session after its forget()`);
      const after = await resolves(b.authenticate(), `${what}: the other's authenticate() after forget()`);
      if (after.visitorId === before.visitorId) throw new Error(`${what}: forget() kept the other visitor's identity`);
    }
    if (action === "setStorageAnother") {
      if (b.storageKind !== "session" || b.visitorId !== before.visitorId) throw new Error(`${what}: the other visitor is ${b.storageKind}, ${b.visitorId}`);
    }
    if (action === "readGetters") {
      const expected = { org: env.org, kind: "local", otherId: before.visitorId, otherSession: before.visitorId, otherKind: "local" };
      if (JSON.stringify(read) !== JSON.stringify(expected)) throw new Error(`${what}: the getters read ${JSON.stringify(read)}, expected ${JSON.stringify(expected)}`);
    }
    if (action === "callItself") {
      const [token, response] = results;
      if (typeof token !== "string" || token !== a.accessToken) throw new Error(`${what}: getAccessToken() gave ${describe(token)}`);
      if (!(response instanceof page.Response) || response.status !== 200) throw new Error(`${what}: fetch() gave ${describe(response?.status)}`);
    }
    await resolves(b.authenticate(), `${what}: the other visitor afterwards`);
    b.stop();
    await nothingStuck(sdk, env, a);
  } finally {
    leave();
  }
}

// ---- 2. fetch() sends the token only where its check allowed ----

/** Each `input`, handed to `visitor.fetch()`, is either refused (nothing sent) or sent with the
 * token to an allowed origin, as the platform resolves it (watched at the page's `fetch`, which
 * the platform resolves against the document's base URL). With `baseHref`, a `<base href>` on
 * another origin is in the document. */
export async function tokenGoesOnlyWhereTheCheckAllowed(server, inputs, baseHref) {
  const sdk = await load(server);
  const env = fresh(server);
  const visitor = new sdk.Visitor(env.options());
  await resolves(visitor.authenticate(), "authenticate()");
  const allowed = new URL(server).origin;
  const sent = [];
  window.fetch = function (input, init) {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const target = new URL(input instanceof Request ? input.url : String(input), document.baseURI);
    if (headers.has("Authorization")) sent.push({ origin: target.origin, href: target.href });
    return platformFetch.apply(this, arguments);
  };
  const base = baseHref ? document.head.appendChild(Object.assign(document.createElement("base"), { href: baseHref })) : null;
  const outcomes = [];
  try {
    for (const input of inputs) {
      const result = await within(visitor.fetch(input), 15000, `fetch(${JSON.stringify(input)})`);
      outcomes.push({ input, result });
      if (!result.ok && !(result.error instanceof sdk.VisitorError)) throw new Error(`fetch(${JSON.stringify(input)}) rejected with ${describe(result.error)}`);
    }
  } finally {
    base?.remove();
    window.fetch = platformFetch;
    visitor.stop();
  }
  if (!sent.some((request) => request.origin === allowed)) throw new Error("no request with the token was seen at all: the watch is broken");
  const astray = sent.filter((request) => request.origin !== allowed);
  if (astray.length) throw new Error(`the token went to ${astray.map((r) => r.href).join(", ")}, only ${allowed} is allowed`);
  return outcomes.map(({ input, result }) => `${input} -> ${result.ok ? `sent ${result.value.status}` : result.error.code}`).join("\n");
}

// ---- 3. Consent withdrawn ----

/** `path` (say `["session", "local"]`): each move leaves nothing where the visitor was; then
 * `setStorage("memory")`: no key of the visitor is left in either storage, and a later visitor
 * there is a new one. */
export async function withdrawalErasesEveryCopy(server, path) {
  const sdk = await load(server);
  const env = fresh(server, { storage: "memory" });
  const visitor = new sdk.Visitor(env.options());
  const first = await resolves(visitor.authenticate(), "authenticate()");
  for (const kind of path) await resolves(visitor.setStorage(kind), `setStorage("${kind}")`);
  // Each move erases the copies in the storage it leaves (SPEC §3): before the withdrawal, only
  // the last storage of the path holds the visitor.
  path.forEach((kind, i) => {
    const storage = kind === "local" ? localStorage : sessionStorage;
    const held = env.keys.some((key) => storage.getItem(key) !== null);
    if (held !== (i === path.length - 1)) throw new Error(held ? `${kind} storage kept a copy after the move from it` : `nothing was kept in ${kind} storage before withdrawal`);
  });
  await resolves(visitor.setStorage("memory"), 'setStorage("memory")');
  for (const storage of [localStorage, sessionStorage]) {
    const left = env.keys.filter((key) => storage.getItem(key) !== null);
    if (left.length) throw new Error(`left after withdrawal: ${left.join(", ")}`);
  }
  if (visitor.visitorId !== first.visitorId) throw new Error("withdrawal changed the visitor of this page");
  visitor.stop();
  for (const storage of ["local", "session"]) {
    const later = new sdk.Visitor(env.options({ storage }));
    const session = await resolves(later.authenticate(), `a later visitor in ${storage} storage`);
    if (session.visitorId === first.visitorId) throw new Error(`a later visitor in ${storage} storage came back as the withdrawn one`);
    later.stop();
  }
}

/** `setStorage("memory")` while the renewal's request hangs: resolves at once (the request still
 * out), erases, and what the request brings back stays in memory. */
export async function withdrawalNeverWaitsForTheNetwork(server) {
  const sdk = await load(server);
  const env = fresh(server, { requestTimeoutMs: 20000 });
  const visitor = new sdk.Visitor(env.options());
  await resolves(visitor.authenticate(), "authenticate()");
  await fault(env, { delay_ms: 4000, times: 1 });
  // The page's fetch sees the renewal's request go out (and lets it go, to the server's 4 s
  // delay): what follows runs in microtasks right after, so the answer, a task at least 4 s
  // away, cannot come before it, however loaded the machine (waiting until the server counts
  // the request was a race with that delay).
  let sent;
  const requestOut = new Promise((resolve) => (sent = resolve));
  window.fetch = function (...args) {
    window.fetch = platformFetch;
    const request = platformFetch.apply(this, args);
    sent();
    return request;
  };
  let renewed = false;
  let renewal;
  try {
    renewal = visitor.authenticate({ force: true }).then((session) => {
      renewed = true;
      return session;
    });
    await resolves(requestOut, "the renewal's request, at the page's fetch", 60000);
  } finally {
    window.fetch = platformFetch;
  }
  await resolves(visitor.setStorage("memory"), 'setStorage("memory") while a request hangs', 2000);
  if (renewed) throw new Error("setStorage waited for the request in flight");
  const left = env.keys.filter((key) => localStorage.getItem(key) !== null);
  if (left.length) throw new Error(`left in localStorage after withdrawal: ${left.join(", ")}`);
  // The server's 4 s, with room for a loaded machine.
  await resolves(renewal, "the renewal", 30000);
  const written = env.keys.filter((key) => localStorage.getItem(key) !== null || sessionStorage.getItem(key) !== null);
  if (written.length) throw new Error(`the answer after withdrawal was written to storage: ${written.join(", ")}`);
  if (visitor.storageKind !== "memory") throw new Error(`storageKind is ${visitor.storageKind}`);
  visitor.stop();
}

async function waitFor(condition, what, ms = 10000) {
  const until = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > until) throw new Error(`${what}: not after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---- 4. The page's AbortSignal ----

/** An aborted signal sends nothing; aborting ends a call waiting for a token at once, with the
 * signal's reason (the platform's `AbortError`, a `TimeoutError` of `AbortSignal.timeout()`, or
 * the page's own reason); aborting the page's request in flight does the same. */
export async function abortSignalEndsTheCallAtOnce(server) {
  const sdk = await load(server);
  const env = fresh(server);
  const visitor = new sdk.Visitor(env.options());
  const path = `/api/v5/public/orgs/${env.org}/rooms/a-room`;

  const aborted = AbortSignal.abort();
  const early = await within(visitor.fetch(path, { signal: aborted }), 5000, "fetch() with an aborted signal");
  if (early.ok || early.error !== aborted.reason) throw new Error(`an aborted signal: ${early.ok ? "resolved" : describe(early.error)}, expected its reason`);
  if ((await authRequests(env)) !== 0) throw new Error("an aborted signal still made an auth request");

  // The auth request hangs at the page's fetch until the cases are over: each call below waits
  // for a token when its signal aborts, however long the machine takes (a server delay of 8 s
  // had to outlast them).
  let release;
  const released = new Promise((resolve) => (release = resolve));
  window.fetch = function (...args) {
    return released.then(() => platformFetch.apply(this, args));
  };
  const cases = [
    ["controller.abort()", () => { const c = new AbortController(); setTimeout(() => c.abort(), 100); return c.signal; }, (e) => e instanceof DOMException && e.name === "AbortError"],
    ["AbortSignal.timeout(100)", () => AbortSignal.timeout(100), (e) => e instanceof DOMException && e.name === "TimeoutError"],
    ["abort(reason)", () => { const c = new AbortController(); setTimeout(() => c.abort("left the page"), 100); return c.signal; }, (e) => e === "left the page"],
  ];
  try {
    for (const [what, signal, expected] of cases) {
      // No token can come while the request is held: a call still waiting when the deadline
      // (for a loaded machine) passes did not end at its abort.
      const result = await within(visitor.fetch(path, { signal: signal() }), 30000, `${what} while waiting for a token`);
      if (result.ok || !expected(result.error)) throw new Error(`${what} while waiting for a token: ${result.ok ? "resolved" : describe(result.error)}`);
    }
  } finally {
    window.fetch = platformFetch;
    release();
  }
  await resolves(visitor.authenticate(), "authenticate() after the aborts", 30000);

  // The page's own request hangs at the server, a minute: longer than the wait for it to get
  // there (bounded by 30 s) and the deadline after the abort, so that only the abort can end it
  // within them.
  await fault(env, { scope: "api", delay_ms: 60000, times: 1 });
  const controller = new AbortController();
  const request = visitor.fetch(path, { signal: controller.signal });
  await waitFor(async () => (await stats(env)).api_requests >= 1, "the page's request to reach the server", 30000);
  controller.abort("changed my mind");
  const result = await within(request, 10000, "abort(reason) during the page's request");
  if (result.ok || result.error !== "changed my mind") throw new Error(`abort during the request: ${result.ok ? "resolved" : describe(result.error)}`);
  await nothingStuck(sdk, env, visitor);
}

// ---- 5. A visitor lives until stop(), free() or [Symbol.dispose]() ----

// Garbage collection is forced, never hoped for: each round is a full collection made by the
// engine's test-only switch (WPT's common/gc.js uses the same ones), in a task of its own, so
// that a target just read through `deref()` (or just made) is no longer kept by the current job.
// The rounds are bounded by count, not by a clock: JavaScriptCore scans the stack conservatively,
// so a stale word there can keep an object through one collection, never through many.
const ROUNDS = 10;
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A function that makes one full garbage collection in this browser, or an Error that says how
 * to run the suite so that it can. `jscAllocationsBetweenGcs`: the JavaScriptCore option
 * `slowPathAllocsBetweenGCs` of the run (0: not set), which tests/page.rs reads from the
 * environment the suite is built and run in. */
function forcedCollection(jscAllocationsBetweenGcs) {
  // Firefox, with the pref dom.testing.testutils.enabled (webdriver.json): a full,
  // non-incremental collection and a cycle collection, then the promise resolves.
  if (typeof globalThis.TestUtils?.gc === "function") return () => globalThis.TestUtils.gc();
  // Chromium, with --js-flags=--expose-gc (webdriver.json): a full collection, at once.
  if (typeof globalThis.gc === "function") return () => globalThis.gc();
  // WebKit has neither (nor $vm: JSC_useDollarVM is refused outside debug builds). With the
  // environment variable JSC_slowPathAllocsBetweenGCs=N, which WebKitWebDriver's browser
  // inherits, every Nth refill of an allocator's free list is a full, synchronous collection
  // (JavaScriptCore's LocalAllocator::doTestCollectionsIfNeeded). A refill hands out one 16 KB
  // block at most, and no cell is under 16 bytes: N * 1024 objects make N refills, so at least
  // one full collection, wherever the count stood. They are kept in a ring, so that the
  // optimizer cannot leave them unallocated.
  if (jscAllocationsBetweenGcs > 0) {
    return () => {
      const ring = new Array(1024);
      for (let i = 0; i < jscAllocationsBetweenGcs * 1024; i++) ring[i & 1023] = { i };
      return ring.length;
    };
  }
  throw new Error(
    "this browser gives the test no way to force garbage collection, and the test does not hope for one: " +
      "Chromium needs --js-flags=--expose-gc and Firefox the pref dom.testing.testutils.enabled (both in webdriver.json); " +
      "WebKit needs JSC_slowPathAllocsBetweenGCs=1000 in the environment of `cargo test` (see tests/page.rs)",
  );
}

/** Forced full collections, each in a new task, until `ref` (a `WeakRef`) is cleared; fails
 * after `ROUNDS` of them. */
async function collect(force, ref, what) {
  for (let round = 1; round <= ROUNDS; round++) {
    await nextTask();
    await force();
    await nextTask();
    if (ref.deref() === undefined) return;
  }
  throw new Error(`${what}: still not collected after ${ROUNDS} forced full garbage collections`);
}

/** Forced full collections until a stopped visitor (which nothing keeps: the control) has been
 * collected, then two more: by then an unreachable running visitor would have been collected
 * too, even past a stale word on a conservatively scanned stack. */
async function collectAVisitor(sdk, env, force) {
  // Made in a function of its own, so that no variable of this one keeps it.
  const stopped = () => {
    const control = new sdk.Visitor(env.options({ storage: "memory", storageKeyPrefix: `${env.prefix}c` }));
    control.stop();
    return new WeakRef(control);
  };
  await collect(force, stopped(), "a stopped visitor");
  for (let round = 0; round < 2; round++) {
    await nextTask();
    await force();
  }
  await nextTask();
}

/** A visitor whose call the page awaits without keeping the visitor is neither collected nor
 * stopped by garbage collection: the call completes. The page's `fetch` holds the call's
 * request until the collections are over, so that they happen while the call is pending,
 * however long they take. */
export async function garbageCollectionNeverStopsAVisitor(server, jscAllocationsBetweenGcs) {
  const sdk = await load(server);
  const force = forcedCollection(jscAllocationsBetweenGcs);
  const slow = fresh(server, { requestTimeoutMs: 600000 });
  let sent;
  const requestSent = new Promise((resolve) => (sent = resolve));
  let release;
  const released = new Promise((resolve) => (release = resolve));
  window.fetch = function (...args) {
    window.fetch = platformFetch;
    sent();
    return released.then(() => platformFetch.apply(this, args));
  };
  let dropped;
  let pending;
  try {
    pending = (() => {
      const visitor = new sdk.Visitor(slow.options());
      dropped = new WeakRef(visitor);
      return visitor.authenticate();
    })();
    await resolves(requestSent, "the auth request of a visitor the page did not keep, at the page's fetch", 60000);
    await collectAVisitor(sdk, slow, force);
  } finally {
    window.fetch = platformFetch;
    release();
  }
  if (dropped.deref() === undefined) throw new Error("a running visitor the page did not keep was collected");
  // Bounded for a loaded machine: what is left is one round trip to the local server.
  const result = await within(pending, 60000, "the call of a visitor the page did not keep");
  if (!result.ok) throw new Error(`the call of a visitor the page did not keep: ${describe(result.error)}`);
  dropped.deref()?.stop();
}

/** A visitor kept by nothing but its listener (which does not refer to it) renews on its own (4 s
 * tokens) after garbage was collected: two more sessions from the network. */
export async function aVisitorKeptOnlyByItsListenerKeepsRenewing(server, jscAllocationsBetweenGcs) {
  const sdk = await load(server);
  const force = forcedCollection(jscAllocationsBetweenGcs);
  const renewing = fresh(server, { storage: "memory" });
  await control(renewing, "PUT", "/config", JSON.stringify({ expires_in: 4 }));
  let kept;
  let sessions = 0;
  let heard = () => {};
  (() => {
    const visitor = new sdk.Visitor(renewing.options());
    kept = new WeakRef(visitor);
    visitor.on("session", ({ source }) => {
      if (source !== "network") return;
      sessions += 1;
      heard();
    });
    void visitor.authenticate();
  })();
  await waitFor(async () => sessions >= 1, "the first session", 60000);
  await collectAVisitor(sdk, renewing, force);
  if (kept.deref() === undefined) throw new Error("a running visitor kept only by its listener was collected");
  const after = sessions;
  const renewals = new Promise((resolve) => {
    heard = () => sessions >= after + 2 && resolve();
    heard();
  });
  // Two renewals of 4 s tokens come about 2 s apart; the bound is for a loaded machine.
  const renewed = await within(renewals, 60000, "renewals of a visitor kept only by its listener");
  kept.deref()?.stop();
  if (!renewed.ok) throw new Error(`renewals of a visitor kept only by its listener: ${describe(renewed.error)} (${sessions - after} after the collections)`);
}

/** A released visitor answers every use with `VisitorError` `stopped`; a second release is
 * harmless; a listener that frees it keeps the next listener of the same event from running. */
export async function aReleasedVisitorAnswersStopped(server) {
  const sdk = await load(server);
  const env = fresh(server, { storage: "memory" });
  const visitor = new sdk.Visitor(env.options());
  let nextCalled = false;
  const freed = new Promise((resolve) => {
    visitor.on("session", () => {
      visitor.free();
      resolve();
    });
    visitor.on("session", () => {
      nextCalled = true;
    });
  });
  await resolves(visitor.authenticate(), "authenticate()");
  await freed;
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (nextCalled) throw new Error("the next listener ran after free() in an earlier one");
  visitor.free();
  visitor[Symbol.dispose]?.();
  visitor.stop();
  for (const member of ["session", "visitorId", "accessToken", "socketUrl", "expiresAt", "isAuthenticated", "storageKind", "organizationId"]) {
    let thrown;
    try {
      void visitor[member];
    } catch (error) {
      thrown = error;
    }
    if (!(thrown instanceof sdk.VisitorError) || thrown.code !== "stopped") throw new Error(`reading ${member} of a freed visitor: ${thrown ? describe(thrown) : "no error"}`);
  }
  for (const [name, call] of [["authenticate", () => visitor.authenticate()], ["getAccessToken", () => visitor.getAccessToken()], ["fetch", () => visitor.fetch("/x")], ["forget", () => visitor.forget()], ["setStorage", () => visitor.setStorage("memory")]]) {
    await rejectsWith(sdk, call(), "stopped", `${name}() of a freed visitor`, 2000);
  }
  let thrown;
  try {
    visitor.on("session", () => {});
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof sdk.VisitorError) || thrown.code !== "stopped") throw new Error(`on() of a freed visitor: ${thrown ? describe(thrown) : "no error"}`);
}
