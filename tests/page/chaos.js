// Seeded hostile-page episodes (SPEC §3): each episode composes, at random from its seed, what a
// page may do around the SDK (fetch wrappers, Storage overrides that call this visitor or another
// back, a clock moved both ways, a polluted Object.prototype.then, a replaced JSON.parse, aborts,
// throwing getters, garbage in storage, garbage-collection pressure) with faults of the local
// server (statuses with Retry-After, delays, dropped connections, malformed bodies, redirects to
// another origin) and random calls (authenticate, getAccessToken, fetch, forget, setStorage,
// stop, new visitors of the same organization). Then it checks what a page can see:
// - every call settles, with a value or a VisitorError (the page's own abort reason aside), within
//   a wide bound; nothing is a wasm trap (no RuntimeError, no uncaught one either);
// - every visitor still answers afterwards (a session, or `stopped` for a stopped one), and no
//   Web Lock of the episode is held;
// - the token went only to the API origin, the secret only in auth POSTs to it, and nothing
//   reached the other origin a redirect pointed to (the server's count);
// - a token the SDK still reports valid is one the server takes;
// - the identity is kept unless forgotten or reset (an `identitychange` the SDK announced);
// - after the last move to `memory`, none of the SDK's keys is left in localStorage or
//   sessionStorage;
// - real-time channels (drawn from a PRNG of their own, so that the rest of a seed's episode is
//   what it was before they came): subscriptions made and ended at random, sockets dropped,
//   garbage frames, socket faults, a page `WebSocket` that throws or whose `send` throws. Every
//   change a listener heard is a well-formed one of its own channel, none came after its
//   unsubscribe; once the page and the server are put back, a new subscription of the main
//   visitor hears a notification; after every visitor stopped, no socket of the episode is open.
// An episode is one function of its seed: the same seed composes the same page, faults and calls
// (what the browser and the machine's timing then do is theirs). Every episode runs in a frame of
// its own (its own globals to replace, its own copy of the SDK), which is removed after.

const platformFetch = window.fetch;
const platformRandom = Math.random;

/** xorshift32: a small PRNG, enough to compose an episode from a seed. */
function prng(seed) {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

function describe(value) {
  if (value instanceof Error || value?.constructor?.name?.endsWith("Error") || value instanceof DOMException) return `${value.name}${value.code ? ` ${value.code}` : ""}: ${value.message}`;
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return "(unprintable)";
  }
}

/** `{ ok, value }` or `{ ok: false, error }` of `promise`, or `{ late: true }` after `ms`. */
function within(promise, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ late: true }), ms);
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer);
        resolve({ ok: true, value });
      },
      (error) => {
        clearTimeout(timer);
        resolve({ ok: false, error });
      },
    );
  });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function control(server, method, path, body) {
  const response = await platformFetch.call(window, `${server}/__control${path}`, { method, body });
  if (!response.ok) throw new Error(`control ${method} ${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

/** A frame of this document (the same origin: shared storage and Web Locks) with the package
 * loaded there: `{ page, sdk, leave }`. */
async function pageInAFrame(server) {
  const frame = document.body.appendChild(document.createElement("iframe"));
  const leave = () => frame.remove();
  try {
    const page = frame.contentWindow;
    const sdk = await new page.Function("url", "return import(url)")(`${server}/pkg/index.js`);
    await sdk.ready;
    return { page, sdk, leave };
  } catch (error) {
    leave();
    throw error;
  }
}

/** One full garbage collection where the browser lets a page force one, else allocation. */
async function gcPressure() {
  if (typeof globalThis.TestUtils?.gc === "function") return globalThis.TestUtils.gc();
  if (typeof globalThis.gc === "function") return globalThis.gc();
  const ring = new Array(1024);
  for (let i = 0; i < 1000 * 1024; i++) ring[i & 1023] = { i };
  return ring.length;
}

// Faults of the local server an episode may set (SPEC §6 control surface, server/src/faults.rs).
function serverFaults(rng, foreign) {
  const faults = [];
  const count = rng.int(3);
  for (let i = 0; i < count; i++) {
    const times = 1 + rng.int(2);
    faults.push(
      rng.pick([
        () => ({ status: rng.pick([500, 503, 429, 408]), retry_after: rng.pick(["1", "0", "2"]), times }),
        () => ({ status: 503, retry_after_date_in: 1, times }),
        () => ({ delay_ms: 200 + rng.int(1500), times }),
        () => ({ drop: true, times: 1 }),
        () => ({ body: rng.pick(["garbage", "{", "null", "[]", '{"access_token":1}']), times }),
        () => ({ partial: true, times: 1 }),
        () => ({ set: { expires_in: rng.pick(["1800", -5, 1e12, null]) }, times }),
        () => ({ set: { organization_id: crypto.randomUUID() }, times: 1 }),
        () => ({ status: rng.pick([400, 401, 403, 404]), times: 1 }),
        () => ({ status: rng.pick([307, 308, 302]), redirect: foreign, times }),
        () => ({ scope: "api", status: rng.pick([500, 401, 429]), retry_after: "1", times: 1 }),
        () => ({ scope: "api", delay_ms: 300 + rng.int(1500), times: 1 }),
        () => ({ scope: "api", drop: true, times: 1 }),
      ])(),
    );
  }
  return faults;
}

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
  delays: null,
};

/**
 * One episode of `seed`. Resolves with a line that says what it composed; throws an Error that
 * names the seed, what it composed and each invariant that broke.
 */
export async function chaosEpisode(server, seed) {
  const rng = prng(seed);
  const api = new URL(server).origin;
  const otherOrigin = server.replace("127.0.0.1", "localhost");
  const org = crypto.randomUUID();
  const prefix = `chaos${seed.toString(36)}${platformRandom().toString(36).slice(2, 8)}`;
  const keys = [`${prefix}:${api}:secret`, `${prefix}:${api}:${org}:session`];
  const retryKey = `${prefix}:${api}:${org}:retry`;
  const composed = [];
  const broken = [];
  const started = performance.now();
  const phases = [];
  const phase = (name) => phases.push(`${name} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const note = (what) => composed.push(what);
  const fail = (what) => broken.push(what);

  const { page, sdk, leave } = await pageInAFrame(server);
  const room = (await control(server, "POST", `/orgs/${org}/rooms`, "{}")).id;
  const lifetime = rng.pick([1800, 1800, 1800, 4, 6]);
  if (lifetime !== 1800) {
    await control(server, "PUT", `/orgs/${org}/config`, JSON.stringify({ expires_in: lifetime }));
    note(`${lifetime} s tokens`);
  }
  const storage = rng.pick(["local", "local", "session", "memory"]);
  const options = (more = {}) => ({
    organizationId: org,
    apiBaseUrl: server,
    storageKeyPrefix: prefix,
    requestTimeoutMs: 500 + rng.int(1500),
    storage,
    ...more,
  });
  note(`storage ${storage}`);

  // What the page can see of uncaught errors in its frame: a wasm trap would show there.
  const uncaught = [];
  page.addEventListener("error", (event) => uncaught.push(event.error ?? event.message));
  page.addEventListener("unhandledrejection", (event) => {
    if (event.reason instanceof page.WebAssembly.RuntimeError || event.reason instanceof WebAssembly.RuntimeError) uncaught.push(event.reason);
  });

  // Garbage in storage, before any visitor reads it.
  const store = storage === "session" ? page.sessionStorage : page.localStorage;
  if (storage !== "memory" && rng.chance(0.4)) {
    const garbage = rng.pick([
      () => [keys[0], rng.pick(["garbage", "{}", '{"v":1}', '{"v":1,"secret":5}', "null", '{"v":99,"secret":"x"}'])],
      () => [keys[1], rng.pick(["garbage", '{"v":1,"session":{}}', '{"v":1}', "[1,2]"])],
      () => [retryKey, JSON.stringify({ v: 1, notBeforeMs: Date.now() + 36e6, failures: 3 })],
      () => [retryKey, rng.pick(["garbage", '{"v":1,"notBeforeMs":"soon"}'])],
    ])();
    store.setItem(...garbage);
    note(`garbage in ${garbage[0].split(":").pop()}`);
  }

  // The page's mischief. `restore` undoes each, before the checks after the episode.
  const restore = [];
  const storageProto = page.Storage.prototype;
  const originals = { setItem: storageProto.setItem, getItem: storageProto.getItem, now: page.Date.now, parse: page.JSON.parse, fetch: page.fetch };
  restore.push(() => {
    storageProto.setItem = originals.setItem;
    storageProto.getItem = originals.getItem;
    page.Date.now = originals.now;
    page.JSON.parse = originals.parse;
    page.fetch = originals.fetch;
    delete page.Object.prototype.then;
  });

  // Every request the SDK makes, watched where it leaves the page (innermost, at the platform).
  const sent = [];
  let pageFetch = function (input, init) {
    try {
      // A Request handed in is read through a clone: building a Request from it would use up
      // its body, and the platform would then refuse to send it.
      const request = new page.Request(input instanceof page.Request ? input.clone() : input, init);
      sent.push({ url: request.url, method: request.method, auth: request.headers.has("Authorization"), body: request.text().catch(() => "") });
    } catch {
      // What the platform refuses, it does not send either.
    }
    return originals.fetch.call(page, input, init);
  };
  if (rng.chance(0.4)) {
    const how = rng.pick(Object.keys(FETCH_MISBEHAVIORS));
    const every = 2 + rng.int(3);
    const inner = pageFetch;
    let calls = 0;
    pageFetch = function (...args) {
      calls += 1;
      if (calls % every !== 1) return inner.apply(this, args);
      if (how === "delays") return pause(300 + rng.int(1200)).then(() => inner.apply(this, args));
      return FETCH_MISBEHAVIORS[how](...args);
    };
    note(`page fetch ${how} every ${every}`);
  }
  page.fetch = pageFetch;

  // Real-time: its own PRNG, the page's WebSocket misbehaving, the server's socket faults.
  const rt = prng(seed ^ 0x5bd1e995);
  const channel = `/api/v5/public/orgs/${org}/rooms/${room}/online_users`;
  const subscriptions = [];
  const originalWebSocket = page.WebSocket;
  const originalSend = page.WebSocket.prototype.send;
  restore.push(() => {
    page.WebSocket = originalWebSocket;
    page.WebSocket.prototype.send = originalSend;
  });
  if (rt.chance(0.25)) {
    const how = rt.pick(["throwingConstructor", "throwingSend"]);
    let left = 1 + rt.int(3);
    if (how === "throwingConstructor") {
      page.WebSocket = function (url, protocols) {
        if (left-- > 0) throw new page.Error("the page's WebSocket broke");
        return new originalWebSocket(url, protocols);
      };
      page.WebSocket.prototype = originalWebSocket.prototype;
    } else {
      page.WebSocket.prototype.send = function (data) {
        if (left-- > 0) throw new page.Error("the page's send broke");
        return originalSend.call(this, data);
      };
    }
    note(`WebSocket ${how}`);
  }
  const socketFault = rt.chance(0.3) ? rt.pick([{ refuse_next: 1 }, { refuse_next: 2 }, { silent: true }, { end_at_expiry: true }]) : null;
  if (socketFault) {
    await control(server, "PUT", `/orgs/${org}/realtime`, JSON.stringify(socketFault));
    note(`socket ${JSON.stringify(socketFault)}`);
  }
  // A subscription of `target`, recording what its listener hears (and, at random, throwing).
  const subscribe = (target, throws) => {
    const record = { channel, heard: [], offAt: null, off: null };
    try {
      record.off = target.subscribe(channel, (change) => {
        record.heard.push(change);
        if (throws) throw new page.Error("a listener's bug");
      });
      subscriptions.push(record);
    } catch (error) {
      if (!(error instanceof sdk.VisitorError && error.code === "stopped")) fail(`subscribe() threw ${describe(error)}`);
    }
  };
  const realtimeStep = async (target) => {
    const what = rt.pick(["subscribe", "subscribe", "unsubscribe", "drop", "garbage", "invalid"]);
    note(`realtime ${what}`);
    if (what === "subscribe") subscribe(target, rt.chance(0.3));
    if (what === "unsubscribe") {
      const live = subscriptions.filter((record) => record.offAt === null);
      if (live.length) {
        const record = rt.pick(live);
        record.off();
        record.offAt = record.heard.length;
        record.off();
      }
    }
    if (what === "drop") await control(server, "POST", `/orgs/${org}/realtime/drop`, rt.chance(0.5) ? JSON.stringify({ code: 1012 }) : "");
    if (what === "garbage") {
      const frames = ["not json", "[", "{}", `["changed",["/api/v5/public/elsewhere",{"action":"added","resourceId":"x"}]]`, `["changed",["${channel}",{"action":"exploded"}]]`, `["__qr__",[[]],{"query":1,"fail":true}]`];
      await control(server, "POST", `/orgs/${org}/realtime/frames`, JSON.stringify({ frames }));
    }
    if (what === "invalid") {
      try {
        target.subscribe("chats", () => {});
        fail("subscribe() took something that is not a channel");
      } catch (error) {
        if (!(error instanceof sdk.VisitorError && ["invalid_channel", "stopped"].includes(error.code))) fail(`subscribe("chats") threw ${describe(error)}`);
      }
    }
  };

  const visitors = [];
  const state = { forgot: false, identityChanged: false, degraded: false };
  const neighbourOrg = crypto.randomUUID();
  const neighbour = new sdk.Visitor({ organizationId: neighbourOrg, apiBaseUrl: server, storageKeyPrefix: `${prefix}n`, requestTimeoutMs: 2000 });
  const pending = [];
  // A call that throws at once (rather than rejecting) is recorded as its rejection.
  const track = (what, call, allowAbort = null) => {
    let promise;
    try {
      promise = call();
    } catch (error) {
      promise = Promise.reject(error);
    }
    pending.push({ what, promise, allowAbort });
  };

  // Page code the SDK runs, calling a visitor back from inside.
  const reentrant = () => {
    const target = rng.chance(0.5) ? neighbour : visitors[0];
    if (!target) return;
    const mine = target === visitors[0];
    rng.pick([
      () => {
        if (mine) state.forgot = true;
        track("forget() from page code", () => target.forget());
      },
      () => {
        const kind = rng.pick(["local", "session", "memory"]);
        track(`setStorage("${kind}") from page code`, () => target.setStorage(kind));
      },
      () => track("getAccessToken() from page code", () => target.getAccessToken()),
      () => {
        const expected = mine ? org : neighbourOrg;
        let read;
        try {
          read = target.organizationId;
        } catch (error) {
          read = describe(error);
        }
        if (read !== expected) fail(`organizationId read from page code is ${describe(read)}`);
      },
    ])();
  };
  if (rng.chance(0.35)) {
    const hook = rng.pick(["setItem", "getItem", "dateNow", "jsonParse"]);
    const misbehave = rng.pick(["callsBack", "callsBack", "throwsOnce"]);
    let left = 1 + rng.int(3);
    const act = () => {
      if (left <= 0) return;
      left -= 1;
      if (misbehave === "throwsOnce") throw new page.Error(`the page's ${hook} broke`);
      reentrant();
    };
    if (hook === "setItem") storageProto.setItem = function (key, value) { if (String(key).startsWith(prefix)) act(); return originals.setItem.call(this, key, value); };
    if (hook === "getItem") storageProto.getItem = function (key) { if (String(key).startsWith(prefix)) act(); return originals.getItem.call(this, key); };
    if (hook === "dateNow") page.Date.now = function () { act(); return originals.now.call(page.Date); };
    if (hook === "jsonParse") page.JSON.parse = function (text, reviver) { act(); return originals.parse.call(page.JSON, text, reviver); };
    note(`${hook} override ${misbehave}`);
  }
  let clockOffset = 0;
  const clockMoves = rng.chance(0.3);
  if (clockMoves) {
    const under = page.Date.now;
    page.Date.now = function () { return under.call(page.Date) + clockOffset; };
    note("clock moves");
  }
  let polluted = false;
  if (rng.chance(0.15)) {
    // Every Response a thenable that never settles (other objects pass through), until the
    // SDK's next request: the request in flight must time out.
    const blocksResponses = function (resolve) {
      if (this instanceof page.Response) return;
      delete page.Object.prototype.then;
      try { resolve(this); } finally { pollute(); }
    };
    const pollute = () => Object.defineProperty(page.Object.prototype, "then", { value: blocksResponses, configurable: true, writable: true });
    pollute();
    polluted = true;
    const inner = page.fetch;
    let calls = 0;
    page.fetch = function (...args) {
      calls += 1;
      if (calls > 1 && polluted) {
        delete page.Object.prototype.then;
        polluted = false;
      }
      return inner.apply(this, args);
    };
    note("Object.prototype.then polluted");
  }

  const faults = serverFaults(rng, `${otherOrigin}/__control/orgs/${org}/foreign`);
  if (faults.length) {
    await control(server, "PUT", `/orgs/${org}/faults`, JSON.stringify(faults));
    note(`faults ${JSON.stringify(faults)}`);
  }

  const watch = (visitor) => {
    visitor.on("identitychange", () => (state.identityChanged = true));
    // Degraded to memory by a storage that threw (not moved there by the page): what it could
    // not read it cannot erase either, so the consent check below does not apply.
    visitor.on("storage", ({ reason }) => {
      if (reason !== "changed") state.degraded = true;
    });
    visitors.push(visitor);
    return visitor;
  };
  let main;
  try {
    main = watch(new sdk.Visitor(options()));
  } catch (error) {
    fail(`the constructor threw ${describe(error)}`);
  }
  const firstSession = main ? await within(main.authenticate(), 60000) : { late: true };
  const identity = firstSession.ok ? firstSession.value.visitorId : null;
  phase(`first authenticate ${firstSession.ok ? "ok" : firstSession.late ? "late" : describe(firstSession.error)}`);
  if (firstSession.late) fail("the first authenticate() did not settle within 60 s");
  else if (!firstSession.ok && !(firstSession.error instanceof sdk.VisitorError)) fail(`the first authenticate() rejected with ${describe(firstSession.error)}`);

  // The calls, started in a burst with page-timer gaps between some.
  const steps = 3 + rng.int(5);
  const path = `/api/v5/public/orgs/${org}/rooms/${room}`;
  for (let step = 0; step < steps && main; step++) {
    const target = rng.chance(0.75) ? main : rng.pick(visitors);
    const call = rng.pick(["authenticate", "authenticate", "getAccessToken", "fetch", "fetch", "forget", "setStorage", "stop", "newVisitor", "gc", "clock", "throwingGetter"]);
    note(call);
    if (call === "authenticate") {
      const force = rng.chance(0.3);
      track("authenticate()", () => target.authenticate(force ? { force } : undefined));
    }
    if (call === "getAccessToken") {
      const minValidity = rng.pick([1, 5, 30]);
      track("getAccessToken()", () => target.getAccessToken({ minValidity }));
    }
    if (call === "fetch") {
      const flavour = rng.pick(["api", "api", "otherOrigin", "abortedSignal", "abortSoon", "ownAuthorization"]);
      note(`fetch ${flavour}`);
      if (flavour === "api") track("fetch()", () => (polluted ? target.getAccessToken() : target.fetch(path)));
      if (flavour === "otherOrigin") track("fetch() to another origin", () => target.fetch(`${otherOrigin}/api/v5/public/orgs/${org}/rooms/${room}`));
      if (flavour === "ownAuthorization") track("fetch() with its own Authorization", () => target.fetch(path, { headers: { Authorization: "Bearer mine" } }));
      if (flavour === "abortedSignal" || flavour === "abortSoon") {
        const controller = new page.AbortController();
        if (flavour === "abortedSignal") controller.abort("gone");
        else setTimeout(() => controller.abort("gone"), rng.int(300));
        track("fetch() with an AbortSignal", () => target.fetch(path, { signal: controller.signal }), "gone");
      }
    }
    if (call === "forget") {
      state.forgot = true;
      track("forget()", () => target.forget());
    }
    if (call === "setStorage") {
      const kind = rng.pick(["local", "session", "memory"]);
      note(`→ ${kind}`);
      track(`setStorage("${kind}")`, () => target.setStorage(kind));
    }
    if (call === "stop" && target !== main) target.stop();
    if (call === "newVisitor") {
      const kind = rng.pick(["local", "session", "memory"]);
      try {
        const added = watch(new sdk.Visitor(options({ storage: kind })));
        track("a new visitor's authenticate()", () => added.authenticate());
      } catch (error) {
        fail(`a new visitor's constructor threw ${describe(error)}`);
      }
    }
    if (call === "gc") await gcPressure();
    if (call === "clock" && clockMoves) {
      clockOffset += rng.pick([-3600e3, -15e3, -5e3, 5e3, 3600e3]);
      note(`clock ${clockOffset / 1000} s`);
    }
    if (call === "throwingGetter") {
      const getter = { get force() { throw new page.Error("a page getter's bug"); }, get minValidity() { throw new page.Error("a page getter's bug"); } };
      track("authenticate() with a throwing getter", () => target.authenticate(getter));
      track("getAccessToken() with a throwing getter", () => target.getAccessToken(getter));
      try {
        new sdk.Visitor(Object.defineProperty(options(), "autoRenew", { get() { throw new page.Error("a page getter's bug"); }, enumerable: true })).stop();
      } catch (error) {
        if (!(error instanceof sdk.VisitorError)) fail(`the constructor with a throwing getter threw ${describe(error)}`);
      }
    }
    if (rt.chance(0.4)) await realtimeStep(target);
    if (rng.chance(0.4)) await pause(rng.int(400));
  }

  // Every call settles with a value or a VisitorError. The bound is wide (authenticate() gives
  // up after about 30 s): it fails only a call that never settles.
  // (Page code may add calls while these settle: they are checked below, with the later ones.)
  const startedCalls = pending.slice();
  const results = await Promise.all(startedCalls.map(({ promise }) => within(promise, 60000)));
  for (const [index, { what, allowAbort }] of startedCalls.entries()) {
    const result = results[index];
    if (result.late) fail(`${what} did not settle within 60 s`);
    else if (!result.ok && !(result.error instanceof sdk.VisitorError) && !(allowAbort !== null && result.error === allowAbort)) fail(`${what} rejected with ${describe(result.error)}, not a VisitorError`);
  }
  const firstPending = startedCalls.length;
  phase("calls settled");

  // With the server's faults gone: a token the SDK reports valid is one the server takes (the
  // page's clock still moved). Read before and after the request: valid after a 401 is wrong.
  await control(server, "DELETE", `/orgs/${org}/faults`);
  await control(server, "DELETE", `/orgs/${org}/realtime`);
  if (lifetime !== 1800 && main) {
    // Long enough for a token to expire, were its renewal put off: the check holds at any time.
    await pause(lifetime * 500 + rng.int(lifetime * 750));
    try {
      const token = main.accessToken;
      if (main.isAuthenticated && token) {
        const response = await platformFetch.call(window, `${server}${path}`, { headers: { Authorization: `Bearer ${token}` } });
        if (response.status === 401 && main.isAuthenticated && main.accessToken === token) fail("isAuthenticated is true for a token the server has expired");
      }
    } catch (error) {
      fail(`reading the main visitor's token threw ${describe(error)}`);
    }
  }

  phase("expiry check");
  // The page puts everything back; each visitor still answers.
  for (const undo of restore) undo();
  polluted = false;
  const everyone = visitors.concat([neighbour]);
  const answers = await Promise.all(everyone.map((visitor) => {
    try {
      return within(visitor.authenticate(), 60000);
    } catch (error) {
      return { ok: false, error };
    }
  }));
  for (const [index, visitor] of everyone.entries()) {
    let stopped = false;
    try {
      void visitor.visitorId;
    } catch (error) {
      stopped = error instanceof sdk.VisitorError && error.code === "stopped";
      if (!stopped) fail(`a getter threw ${describe(error)}`);
    }
    const result = answers[index];
    if (result.late) fail("a visitor did not answer authenticate() after the episode within 60 s");
    else if (!result.ok && !(result.error instanceof sdk.VisitorError && (stopped || result.error.code === "stopped"))) fail(`a visitor answered authenticate() after the episode with ${describe(result.error)}`);
  }
  const later = pending.slice(firstPending);
  const laterResults = await Promise.all(later.map(({ promise }) => within(promise, 60000)));
  for (const [index, { what }] of later.entries()) {
    const result = laterResults[index];
    if (result.late) fail(`${what} (from page code) did not settle within 60 s`);
    else if (!result.ok && !(result.error instanceof sdk.VisitorError)) fail(`${what} (from page code) rejected with ${describe(result.error)}`);
  }

  phase("visitors answered");
  // The identity is kept unless forgotten or reset.
  if (main && identity && !state.forgot && !state.identityChanged) {
    let now = null;
    try {
      now = main.visitorId;
    } catch {
      // Stopped: nothing to compare.
    }
    if (now !== null && now !== identity) fail(`the identity changed from ${identity} to ${now} without forget() or identitychange`);
  }

  // Real-time: what each listener heard is a well-formed change of its channel, and nothing
  // after its unsubscribe; a new subscription of the main visitor hears the room's news.
  for (const record of subscriptions) {
    for (const change of record.heard) {
      if (change.channel !== record.channel || !["added", "changed", "removed"].includes(change.action) || !(change.resourceId === null || typeof change.resourceId === "string")) fail(`a listener heard ${describe(JSON.stringify(change))}`);
    }
  }
  let mainStopped = true;
  try {
    void main?.visitorId;
    mainStopped = !main;
  } catch {
    // Stopped.
  }
  if (!mainStopped) {
    const fresh = { channel, heard: [], offAt: null, off: null };
    fresh.off = main.subscribe(channel, (change) => fresh.heard.push(change));
    subscriptions.push(fresh);
    // A notification sent before the subscription is confirmed reaches nobody (the wire has no
    // history): an operator comes online every second until the listener hears one, for 60 s.
    const posted = [];
    const heardOne = () => fresh.heard.some((change) => posted.includes(change.resourceId));
    for (const deadline = performance.now() + 60000; !heardOne() && performance.now() < deadline; ) {
      posted.push((await control(server, "POST", `/orgs/${org}/rooms/${room}/online_users`, "{}")).id);
      for (const wait = performance.now() + 1000; !heardOne() && performance.now() < wait; ) await pause(50);
    }
    if (!heardOne()) fail("a new subscription of the main visitor did not hear the room's news within 60 s of the page and the server being put back");
  }
  phase("realtime checked");

  // Consent: a storage that no visitor of the episode is in at the end (each was moved out, or
  // never there) holds none of the SDK's keys; a stopped visitor may leave its own, and one that
  // degraded to memory (its storage threw) did not choose to leave.
  const finalKinds = [];
  for (const visitor of visitors) {
    try {
      finalKinds.push(visitor.storageKind);
    } catch {
      finalKinds.push("stopped");
    }
  }
  if (finalKinds.length && !finalKinds.includes("stopped") && !state.degraded) {
    for (const [kind, where] of [["local", localStorage], ["session", sessionStorage]]) {
      if (finalKinds.includes(kind)) continue;
      const left = keys.filter((key) => where.getItem(key) !== null);
      if (left.length) fail(`no visitor is in ${kind} storage (${finalKinds.join(", ")}), yet ${left.map((key) => key.slice(prefix.length + 1)).join(", ")} left there`);
    }
  }

  // The token and the secret went only where allowed.
  for (const request of sent) {
    const body = await request.body;
    const origin = new URL(request.url).origin;
    if (request.auth && origin !== api) fail(`the token went to ${request.url}`);
    if (body.includes("visitor_secret_id") && (origin !== api || request.method !== "POST" || !new URL(request.url).pathname.endsWith("/auth"))) fail(`the secret went to ${request.method} ${request.url}`);
  }
  const stats = await control(server, "GET", `/orgs/${org}/stats`);
  if (stats.foreign_requests) fail(`${stats.foreign_requests} request(s) reached the other origin a redirect pointed to`);

  for (const visitor of visitors.concat([neighbour])) visitor.stop();
  for (const record of subscriptions) {
    if (record.offAt !== null && record.heard.length !== record.offAt) fail(`a listener heard ${record.heard.length - record.offAt} change(s) after its unsubscribe`);
  }
  let open = null;
  for (const deadline = performance.now() + 10000; ; await pause(50)) {
    open = (await control(server, "GET", `/orgs/${org}/stats`)).sockets.open;
    if (open === 0 || performance.now() > deadline) break;
  }
  if (open !== 0) fail(`${open} socket(s) still open 10 s after every visitor stopped`);
  // The lock manager lets go of a lock a task after the SDK settles its callback's promise (and a
  // lock asked for before stop() may be granted after it, to be let go at once): a lock still
  // held after 10 s is one nothing will release.
  let ours = [];
  for (const deadline = performance.now() + 10000; ; await pause(50)) {
    const { held = [] } = await navigator.locks.query();
    ours = held.filter((lock) => lock.name.startsWith(prefix));
    if (!ours.length || performance.now() > deadline) break;
  }
  if (ours.length) fail(`Web Locks still held 10 s after stop(): ${ours.map((lock) => lock.name).join(", ")}`);
  for (const error of uncaught) {
    if (error instanceof page.WebAssembly.RuntimeError || error instanceof WebAssembly.RuntimeError || /unreachable|RuntimeError/.test(String(error))) fail(`a wasm trap: ${describe(error)}`);
  }
  for (const key of keys.concat([retryKey])) {
    localStorage.removeItem(key);
    sessionStorage.removeItem(key);
  }
  leave();
  phase("end");
  const summary = `seed ${seed}: ${composed.join("; ")} [${phases.join(", ")}]`;
  if (broken.length) throw new Error(`${summary}\n  broke: ${[...new Set(broken)].join("\n  broke: ")}`);
  return summary;
}
