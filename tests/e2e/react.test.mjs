// The React binding (`giosg-visitor/react`) as a React app gets it: the packed tarball installed
// into a fresh folder with React, the app built by Vite 8 (its built-in JSX transform) and run in
// Chromium against the local server.
//
// The app is built in development mode, React's development build, where StrictMode mounts,
// unmounts and mounts again every effect: the app counts its own effect runs to show that it did.
// Its visitors keep their secret in memory, so that a second visitor could not borrow the first
// one's secret or session from storage: every visitor made is one more auth request, and one
// more visitor at the server.
//
// Also: the READMEs' React quick starts (marked `<!-- quickstart: react… -->`), built as written
// in development and production mode; a server render; the package without React; the types.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SERVER_URL, control, launch, localServer, newOrg, stopLocalServers } from "./browser.mjs";
import { failsWhereMarked } from "./typescript.mjs";
import { answerApi, checkConsent, checkRoom, roomLogged, shownVisitor, watchedPage } from "./framework-page.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const VERSION = /^version = "(.*)"/m.exec(readFileSync(join(ROOT, "Cargo.toml"), "utf8"))[1];
const TARBALL = join(ROOT, "target/package", `giosg-visitor-${VERSION}.tgz`);
const VITE = join(ROOT, "node_modules/vite/bin/vite.js");
// React at the versions this repository develops with.
const DEV = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies;
const REACT = ["react", "react-dom", "@types/react"].map((name) => `${name}@${DEV[name]}`);
const NPM_ENV = { ...process.env, npm_config_audit: "false", npm_config_fund: "false" };

let app;
let browser;

before(() => {
  app = mkdtempSync(join(tmpdir(), "giosg-visitor-react-"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "a-react-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--prefer-offline", TARBALL, ...REACT], { cwd: app, stdio: "pipe", env: NPM_ENV });
});

after(async () => {
  await browser?.close();
  stopLocalServers();
  if (app) rmSync(app, { recursive: true, force: true });
});

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A React app</title></head>
<body><div id="root"></div><script type="module" src="/src/main.jsx"></script></body>
</html>
`;

/** A Vite app of `main` (src/main.jsx) in folder `name` of the app, built in `mode`; its dist/. */
function build(name, main, mode) {
  const dir = join(app, name);
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "index.html"), INDEX_HTML);
  writeFileSync(join(dir, "src/main.jsx"), main);
  // NODE_ENV picks React's build (`process.env.NODE_ENV` in React's entry points).
  execFileSync(process.execPath, [VITE, "build", "--mode", mode], { cwd: dir, stdio: "pipe", env: { ...process.env, NODE_ENV: mode } });
  return join(dir, "dist");
}


// The app: a component with its own visitor (options written inline), a provider whose visitor
// two components read, a component with options the SDK refuses, and one that is unmounted in
// the task that mounted it. Each shown state is on a <p> (its data-* attributes); each visitor
// shown is on `window.visitors`, the statuses each component went through on `window.statuses`,
// and the runs of the app's own mount effect on `window.effectRuns` (of the fleeting component's,
// which run after its subscription to its visitor, on `window.fleetingEffectRuns`). The buttons
// re-render the app, and unmount the visitors' components.
const APP = `import { StrictMode, useEffect, useLayoutEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { VisitorProvider, useVisitor } from "giosg-visitor/react";

const params = new URLSearchParams(location.search);
const apiBaseUrl = params.get("api");
window.effectRuns = 0;
window.fleetingEffectRuns = 0;
window.visitors = {};
window.statuses = {};

function Shown({ name, state }) {
  useEffect(() => {
    window.visitors[name] = state.visitor;
  }, [name, state.visitor]);
  useEffect(() => {
    const seen = (window.statuses[name] ??= []);
    if (seen.at(-1) !== state.status) seen.push(state.status);
  }, [name, state.status]);
  return (
    <p
      id={name}
      data-status={state.status}
      data-visitor-id={state.visitorId ?? ""}
      data-token={state.session?.accessToken ?? ""}
      data-storage={state.storageKind ?? ""}
      data-error={state.error?.code ?? ""}
    >
      {name}: {state.status}
    </p>
  );
}

function Own() {
  const state = useVisitor({ organizationId: params.get("org"), apiBaseUrl, storage: "memory" });
  return <Shown name="own" state={state} />;
}

function FromProvider({ name }) {
  return <Shown name={name} state={useVisitor()} />;
}

// Mounted and unmounted at once (its parent's layout effect removes it in the same task).
function Fleeting() {
  useVisitor({ organizationId: params.get("fleeting"), apiBaseUrl, storage: "memory" });
  useEffect(() => {
    window.fleetingEffectRuns += 1;
  }, []);
  return null;
}

function Refused() {
  return <Shown name="refused" state={useVisitor({ organizationId: "not an organization id", apiBaseUrl })} />;
}

function App() {
  const [mounted, setMounted] = useState(true);
  const [renders, setRenders] = useState(0);
  const [fleeting, setFleeting] = useState(true);
  useEffect(() => {
    window.effectRuns += 1;
  }, []);
  useLayoutEffect(() => setFleeting(false), []);
  return (
    <>
      <button id="rerender" onClick={() => setRenders(renders + 1)}>{renders}</button>
      <button id="unmount" onClick={() => setMounted(false)}>unmount</button>
      {mounted && <Own />}
      {mounted && (
        <VisitorProvider options={{ organizationId: params.get("shared"), apiBaseUrl, storage: "memory" }}>
          <FromProvider name="first" />
          <FromProvider name="second" />
        </VisitorProvider>
      )}
      <Refused />
      {fleeting && <Fleeting />}
    </>
  );
}

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`;

/** The server's count of auth requests for `org`, and its log of them. */
async function authRequests(org) {
  const stats = await control(`/orgs/${org}/stats`);
  return { count: stats.auth_requests, log: stats.log.filter((entry) => entry.kind === "auth") };
}

/** What a component shows. */
async function shown(page, name) {
  const p = page.locator(`#${name}`);
  const [status, visitorId, token, storage, error] = await Promise.all(
    ["status", "visitor-id", "token", "storage", "error"].map((attribute) => p.getAttribute(`data-${attribute}`)),
  );
  return { status, visitorId, token, storage, error };
}

test("in StrictMode: one visitor and one auth request per hook or provider; renewals, identity, storage and errors re-render; unmount stops", async () => {
  const dist = build("app", APP, "development");
  const org = newOrg(); // the component's own visitor: tokens of 8 s, renewed about every 4 s
  const shared = newOrg(); // the provider's visitor
  const fleeting = newOrg(); // the visitor of a component unmounted at once: never made
  await control(`/orgs/${org}/config`, { method: "PUT", body: JSON.stringify({ expires_in: 8 }) });
  browser ??= await launch();
  const context = await browser.newContext();
  try {
    const page = await watchedPage(context);
    await page.goto(`${await localServer(dist)}/?org=${org}&shared=${shared}&fleeting=${fleeting}&api=${encodeURIComponent(SERVER_URL)}`);
    for (const name of ["own", "first", "second"]) await page.locator(`#${name}[data-status="authenticated"]`).waitFor({ timeout: 30_000 });
    await page.locator('#refused[data-status="error"]').waitFor();

    // StrictMode ran the app's mount effect twice: mount, unmount, mount; the fleeting
    // component's effects ran too (its subscription to its visitor, then the count).
    assert.equal(await page.evaluate(() => window.effectRuns), 2);
    assert.ok((await page.evaluate(() => window.fleetingEffectRuns)) >= 1);
    // One auth request for the hook, one for the provider and its two readers.
    let own = await authRequests(org);
    assert.equal(own.count, 1, JSON.stringify(own.log));
    const sharedAuth = await authRequests(shared);
    assert.equal(sharedAuth.count, 1, JSON.stringify(sharedAuth.log));
    const first = await shown(page, "own");
    assert.deepEqual({ ...first, token: first.token.length > 0 }, { status: "authenticated", visitorId: own.log[0].visitor_id, token: true, storage: "memory", error: "" });
    const [a, b] = [await shown(page, "first"), await shown(page, "second")];
    assert.deepEqual(a, b);
    assert.equal(a.visitorId, sharedAuth.log[0].visitor_id);
    assert.ok(await page.evaluate(() => window.visitors.first === window.visitors.second), "the provider's readers share its visitor");
    assert.deepEqual(await page.evaluate(() => window.statuses), {
      own: ["loading", "authenticated"],
      first: ["loading", "authenticated"],
      second: ["loading", "authenticated"],
      refused: ["loading", "error"],
    });
    const refused = await shown(page, "refused");
    assert.deepEqual(refused, { status: "error", visitorId: "", token: "", storage: "", error: "invalid_options" });

    // Re-renders with new option objects (written inline) keep the visitors; every request
    // counted below is one of theirs.
    for (let i = 1; i <= 3; i++) {
      await page.click("#rerender");
      await page.locator("#rerender").filter({ hasText: String(i) }).waitFor();
    }

    // `storage` re-renders: the provider's visitor moves to sessionStorage.
    await page.evaluate(() => window.visitors.first.setStorage("session"));
    await page.locator('#first[data-storage="session"]').waitFor();
    // `identitychange` re-renders: forget() leaves no identity ("loading"), authenticate() makes one.
    await page.evaluate(() => window.visitors.first.forget());
    await page.locator('#second[data-status="loading"][data-visitor-id=""]').waitFor();
    await page.evaluate(() => window.visitors.first.authenticate());
    await page.locator('#second[data-status="authenticated"]').waitFor();
    const again = await authRequests(shared);
    assert.equal(again.count, 2, JSON.stringify(again.log));
    assert.equal((await shown(page, "second")).visitorId, again.log[1].visitor_id);
    assert.notEqual(again.log[1].visitor_id, again.log[0].visitor_id);

    // A renewal re-renders with the new token, for the same visitor.
    await page.locator(`#own:not([data-token="${first.token}"])`).waitFor({ timeout: 20_000 });
    const renewed = await shown(page, "own");
    assert.equal(renewed.visitorId, first.visitorId);
    assert.notEqual(renewed.token, "");
    own = await authRequests(org);
    assert.ok(own.count >= 2, JSON.stringify(own.log));
    // One visitor all along: the first request made it, each later one renewed it with its secret.
    assert.equal(own.log[0].secret_sent, false);
    for (const entry of own.log) assert.equal(entry.visitor_id, first.visitorId, JSON.stringify(own.log));
    for (const entry of own.log.slice(1)) assert.ok(entry.secret_sent && entry.secret_known, JSON.stringify(own.log));
    // The new token is the server's: it opens the organization's API (404: no such room, not 401).
    const room = await fetch(`${SERVER_URL}/api/v5/public/orgs/${org}/rooms/none`, { headers: { authorization: `Bearer ${renewed.token}` } });
    assert.equal(room.status, 404);

    // `error` re-renders: the next renewal fails, and the token still valid stays shown.
    await control(`/orgs/${org}/faults`, { method: "PUT", body: JSON.stringify({ scope: "auth", status: 503 }) });
    await page.locator('#own[data-error="http"]').waitFor({ timeout: 20_000 });
    const failing = await shown(page, "own");
    assert.equal(failing.status, "authenticated");

    // Unmount: both visitors stop (they answer `stopped`), and no request follows.
    await page.click("#unmount");
    await page.locator("#own").waitFor({ state: "detached" });
    const answers = await page.evaluate(async () => {
      const answer = (visitor) => visitor.authenticate().then(() => "authenticated", (error) => error.code);
      return { own: await answer(window.visitors.own), shared: await answer(window.visitors.first) };
    });
    assert.deepEqual(answers, { own: "stopped", shared: "stopped" });
    const counts = async () => ({ own: (await authRequests(org)).count, shared: (await authRequests(shared)).count, fleeting: (await authRequests(fleeting)).count });
    const atUnmount = await counts();
    assert.equal(atUnmount.fleeting, 0);
    // Past the expiry of the own visitor's last token, a running visitor would have asked again:
    // renewing before it (and retrying the failing endpoint, every few seconds at most).
    const expiresAt = await page.evaluate(() => window.visitors.own.session.expiresAt.getTime());
    await sleep(Math.max(0, expiresAt - Date.now()) + 1_000);
    assert.deepEqual(await counts(), atUnmount);
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
    await control(`/orgs/${org}/faults`, { method: "DELETE" });
  }
});

/** `promise`, or a failure that names `what` once `ms` have passed. */
async function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The code blocks marked `<!-- quickstart: name -->` of a README whose names start with `react`. */
function reactQuickstarts(file) {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/<!-- quickstart: (react[\w-]*) -->\n```jsx\n([\s\S]*?)\n```\n/g)].map(([, name, code]) => ({ name, code: `${code}\n` }));
}

test("the READMEs' React quick starts, built as written by Vite 8 (development and production), show their visitor after one auth request", async () => {
  const blocks = new Map();
  for (const file of ["README.md", "packaging/README.md"]) {
    for (const { name, code } of reactQuickstarts(file)) blocks.set(code, name);
  }
  // Both READMEs have the hook's quick start (one text), the repository's README the provider's.
  assert.deepEqual([...blocks.values()].sort(), ["react", "react-consent", "react-provider"]);
  browser ??= await launch();
  for (const [i, [code, name]] of [...blocks].entries()) {
    for (const mode of ["development", "production"]) {
      const dist = build(`quickstart-${i}-${mode}`, code, mode);
      // One server serves the app and answers the quick start's requests to the giosg API.
      const url = await localServer(dist);
      const context = await browser.newContext();
      try {
        const page = await watchedPage(context);
        const traffic = await answerApi(page, url);
        // The quick start logs the room's answer: `console.log(response.status, body)`.
        const logged = roomLogged(page);
        await page.goto(`${url}/`);
        const answer = await shownVisitor(page, traffic, `${name} ${mode}`);
        if (name === "react") {
          await checkRoom(page, traffic, answer, within(logged, 30_000, `${name} ${mode}: the room's answer logged`));
        } else if (name === "react-consent") {
          await checkConsent(page, answer);
        } else {
          await page.locator("p", { hasText: /^Token valid until / }).waitFor();
        }
        assert.equal(traffic.filter((t) => t.pathname.endsWith("/auth")).length, 1, `${name} ${mode}: ${JSON.stringify(traffic)}`);
        assert.deepEqual(page.errors, []);
      } finally {
        await context.close();
      }
    }
  }
});

test("a server render shows the hook's loading state, and loads nothing", () => {
  const script = `
    import { createElement } from "react";
    import { renderToString } from "react-dom/server";
    import { useVisitor } from "giosg-visitor/react";
    function App() {
      const { status, visitor } = useVisitor({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1" });
      return createElement("p", null, status, " ", String(visitor));
    }
    console.log(renderToString(createElement(App)));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: app, encoding: "utf8" });
  assert.equal(out.trim(), "<p>loading<!-- --> <!-- -->null</p>");
});

test("the package installs and imports without React", () => {
  // A folder of its own, away from the React app's node_modules.
  const dir = mkdtempSync(join(tmpdir(), "giosg-visitor-no-react-"));
  try {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "no-react", private: true, type: "module" }));
    execFileSync("npm", ["install", "--prefer-offline", TARBALL], { cwd: dir, stdio: "pipe", env: NPM_ENV });
    assert.ok(!existsSync(join(dir, "node_modules/react")), "npm installed React");
    const manifest = JSON.parse(readFileSync(join(dir, "node_modules/giosg-visitor/package.json"), "utf8"));
    assert.deepEqual(manifest.peerDependenciesMeta.react, { optional: true });
    execFileSync(process.execPath, ["--input-type=module", "-e", 'await import("giosg-visitor");'], { cwd: dir, stdio: "pipe" });
    // The binding itself says what it needs.
    const binding = execFileSync(process.execPath, ["--input-type=module", "-e", 'await import("giosg-visitor/react").catch((error) => console.log(error.code));'], { cwd: dir, encoding: "utf8" });
    assert.equal(binding.trim(), "ERR_MODULE_NOT_FOUND");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("react.d.ts: a React app type-checks with tsc --strict, and its mistakes fail, each where it is", () => {
  const dir = join(app, "ts");
  cpSync(join(ROOT, "tests/consumer/ts"), dir, { recursive: true });
  const tsc = join(ROOT, "node_modules/.bin/tsc");
  try {
    execFileSync(tsc, ["-p", join(dir, "tsconfig.react.json")], { cwd: app, encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    assert.fail(`${error.stdout}${error.stderr}`);
  }
  failsWhereMarked(join(dir, "tsconfig.react-bad.json"), join(dir, "react-bad.tsx"), 6, app);
});

// Options the binding cannot key, and consent moved through `storage`: each component in a root
// of its own, so that one crashing its tree does not hide what the other shows. The consent
// component records each visitor it was given on `window.consentVisitors`.
const OPTIONS_APP = `import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { useVisitor } from "giosg-visitor/react";

const params = new URLSearchParams(location.search);
const apiBaseUrl = params.get("api");
const cyclic = {};
cyclic.self = cyclic;
window.consentVisitors = [];

function Unkeyable({ name, extra }) {
  const state = useVisitor({ organizationId: params.get("org"), apiBaseUrl, storage: "memory", ...extra });
  return <p id={name} data-status={state.status} data-error={state.error?.code ?? ""}>{name}</p>;
}

function Consent() {
  const [consented, setConsented] = useState(false);
  const state = useVisitor({ organizationId: params.get("consent"), apiBaseUrl, storageKeyPrefix: params.get("prefix"), storage: consented ? "local" : "memory" });
  useEffect(() => {
    if (state.visitor && !window.consentVisitors.includes(state.visitor)) window.consentVisitors.push(state.visitor);
  }, [state.visitor]);
  return (
    <>
      <button id="consent" onClick={() => setConsented(!consented)}>consent</button>
      <p id="consented" data-status={state.status} data-storage={state.storageKind ?? ""} data-visitor-id={state.visitorId ?? ""}>consent</p>
    </>
  );
}

for (const [id, element] of [
  ["bigint-root", <Unkeyable name="bigint" extra={{ requestTimeoutMs: 10n }} />],
  ["cyclic-root", <Unkeyable name="cyclic" extra={{ extra: cyclic }} />],
  ["consent-root", <Consent />],
]) {
  const root = document.createElement("div");
  root.id = id;
  document.body.append(root);
  createRoot(root).render(<StrictMode>{element}</StrictMode>);
}
`;

let optionsDist;

/** The options app, built once (development mode: StrictMode mounts every effect twice). */
async function optionsPage(query) {
  optionsDist ??= build("options-app", OPTIONS_APP, "development");
  browser ??= await launch();
  const context = await browser.newContext();
  const page = await watchedPage(context);
  await page.goto(`${await localServer(optionsDist)}/?${new URLSearchParams({ api: SERVER_URL, ...query })}`);
  return { context, page };
}

test("options the hook cannot key (a BigInt, a cyclic value) give status error with invalid_options, not a crashed tree", async () => {
  const { context, page } = await optionsPage({ org: newOrg(), consent: newOrg(), prefix: "options" });
  try {
    for (const name of ["bigint", "cyclic"]) await page.locator(`#${name}[data-status="error"][data-error="invalid_options"]`).waitFor({ timeout: 30_000 });
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});

test("in StrictMode: a changed storage option is setStorage() on the same visitor, not a new one: no request, the same id, the keys written and erased", async () => {
  const consent = newOrg();
  const prefix = `consent${Date.now()}`;
  const { context, page } = await optionsPage({ org: newOrg(), consent, prefix });
  // The visitor's keys in localStorage (SPEC §4: `P:O:secret`, `P:O:<org>:session`).
  const keys = () => page.evaluate((prefix) => Object.keys(localStorage).filter((key) => key.startsWith(`${prefix}:`)).sort(), prefix);
  const origin = new URL(SERVER_URL).origin;
  try {
    await page.locator('#consented[data-status="authenticated"][data-storage="memory"]').waitFor({ timeout: 30_000 });
    const visitorId = await page.locator("#consented").getAttribute("data-visitor-id");
    assert.deepEqual(await keys(), [], "nothing stored before consent");
    await page.click("#consent");
    await page.locator('#consented[data-storage="local"]').waitFor({ timeout: 30_000 });
    assert.deepEqual(await keys(), [`${prefix}:${origin}:${consent}:session`, `${prefix}:${origin}:secret`]);
    assert.equal(await page.locator("#consented").getAttribute("data-visitor-id"), visitorId);
    await page.click("#consent");
    await page.locator('#consented[data-storage="memory"]').waitFor({ timeout: 30_000 });
    assert.deepEqual(await keys(), [], "withdrawn: every stored copy erased");
    assert.equal(await page.locator("#consented").getAttribute("data-visitor-id"), visitorId);
    assert.equal(await page.evaluate(() => window.consentVisitors.length), 1, "a new visitor was made");
    const { count, log } = await authRequests(consent);
    assert.equal(count, 1, JSON.stringify(log));
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});

// useChannel in StrictMode: the provider's visitor, a room's operators online heard live, the
// channel given only once known (`null` before), and an unmount that ends the subscription.
const CHANNEL_APP = `import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { VisitorProvider, useChannel, useVisitor } from "giosg-visitor/react";

const params = new URLSearchParams(location.search);

function Operators() {
  const { status } = useVisitor();
  const [names, setNames] = useState([]);
  // The channel waits for the visitor's first session (null until then).
  const channel = status === "authenticated" ? \`/api/v5/public/orgs/\${params.get("org")}/rooms/\${params.get("room")}/online_users\` : null;
  useChannel(channel, (change) => {
    if (change.action === "added") setNames((names) => [...names, change.resource.public_name]);
  });
  return <p id="operators" data-count={names.length}>{names.join(", ")}</p>;
}

function App() {
  const [mounted, setMounted] = useState(true);
  return (
    <>
      <button id="unmount" onClick={() => setMounted(false)}>unmount</button>
      {mounted && (
        <VisitorProvider options={{ organizationId: params.get("org"), apiBaseUrl: params.get("api"), storage: "memory" }}>
          <Operators />
        </VisitorProvider>
      )}
    </>
  );
}

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`;

test("useChannel in StrictMode: a room's operators arrive live, each once; unmount closes the socket", async () => {
  const org = newOrg();
  const room = (await control(`/orgs/${org}/rooms`, { method: "POST", body: "{}" })).id;
  const dist = build("channel-app", CHANNEL_APP, "development");
  browser ??= await launch();
  const context = await browser.newContext();
  const page = await watchedPage(context);
  const sockets = async () => (await control(`/orgs/${org}/stats`)).sockets;
  try {
    await page.goto(`${await localServer(dist)}/?${new URLSearchParams({ api: SERVER_URL, org, room })}`);
    // Subscribed: one socket open, its channel confirmed.
    for (let i = 0; ; i++) {
      const now = await sockets();
      if (now.open === 1 && now.confirmed >= 1) break;
      assert.ok(i < 600, `not subscribed: ${JSON.stringify(now)}`);
      await sleep(50);
    }
    for (const name of ["Ada", "Grace"]) {
      await control(`/orgs/${org}/rooms/${room}/online_users`, { method: "POST", body: JSON.stringify({ public_name: name }) });
    }
    await page.locator('#operators[data-count="2"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator("#operators").textContent(), "Ada, Grace");
    await page.click("#unmount");
    for (let i = 0; (await sockets()).open !== 0; i++) {
      assert.ok(i < 600, "the socket stayed open after unmount");
      await sleep(50);
    }
    assert.equal((await authRequests(org)).count, 1);
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});

// A module of an app that imports the binding, for the bundlers below.
const BINDING_APP = `import { createElement } from "react";
import { createRoot } from "react-dom/client";
import { VisitorProvider, useVisitor } from "giosg-visitor/react";

function Badge() {
  return createElement("p", null, useVisitor().status);
}
createRoot(document.getElementById("root")).render(createElement(VisitorProvider, { options: { organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1" } }, createElement(Badge)));
`;

test("bundlers that do not know \"use client\" (Vite 8, Vite 6, webpack 5, esbuild) build the binding without a warning; a Server Component gets the marked module", async () => {
  const dir = join(app, "bundlers");
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "index.html"), INDEX_HTML.replace("main.jsx", "main.js"));
  writeFileSync(join(dir, "src/main.js"), BINDING_APP);

  for (const [version, vite] of [["8", VITE], ["6", join(ROOT, "node_modules/vite6/bin/vite.js")]]) {
    const out = execFileSync(process.execPath, [vite, "build", "--outDir", `dist-vite${version}`], { cwd: dir, encoding: "utf8", stdio: "pipe" });
    assert.doesNotMatch(out, /warn|directive|use client/i, `Vite ${version}:\n${out}`);
  }

  const { default: webpack } = await import(join(ROOT, "node_modules/webpack/lib/index.js"));
  // No size hints: they are about the app's bundle, not the binding.
  const config = { mode: "production", context: dir, entry: "./src/main.js", output: { path: join(dir, "dist-webpack") }, performance: { hints: false } };
  const stats = await new Promise((resolveStats, reject) => webpack(config, (error, result) => (error ? reject(error) : resolveStats(result))));
  assert.ok(!stats.hasErrors() && !stats.hasWarnings(), stats.toString("errors-warnings"));

  // esbuild: the one the repository's Vite 6 depends on.
  const esbuild = await import(join(ROOT, "node_modules/vite6/node_modules/esbuild/lib/main.js"));
  const result = await esbuild.build({ entryPoints: [join(dir, "src/main.js")], bundle: true, format: "esm", outdir: join(dir, "dist-esbuild"), loader: { ".wasm": "file" }, logLevel: "silent" });
  assert.deepEqual([...result.errors, ...result.warnings], []);

  // Where a Server Component imports the binding (the `react-server` condition): the module it
  // gets is marked, and re-exports the one binding everyone else gets.
  const resolved = execFileSync(process.execPath, ["--conditions=react-server", "--input-type=module", "-e", 'console.log(import.meta.resolve("giosg-visitor/react"))'], { cwd: app, encoding: "utf8" }).trim();
  const boundary = readFileSync(new URL(resolved), "utf8");
  assert.match(boundary, /^"use client";\n/);
  assert.match(boundary, /from "\.\/react\.js";/);
  const plain = execFileSync(process.execPath, ["--input-type=module", "-e", 'console.log(import.meta.resolve("giosg-visitor/react"))'], { cwd: app, encoding: "utf8" }).trim();
  assert.match(plain, /\/react\.js$/);
  assert.doesNotMatch(readFileSync(new URL(plain), "utf8"), /^\s*["']use client["']/m);
});
