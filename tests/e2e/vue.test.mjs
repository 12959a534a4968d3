// The Vue binding (`giosg-visitor/vue`) as a Vue app gets it: the packed tarball installed with
// Vue, Vite 8 and @vitejs/plugin-vue into target/vue-app/ (kept between runs: a second run
// installs nothing new), single-file components built by Vite and run in Chromium against the
// local server. Its visitors keep their secret in memory (but the consent one), so that every
// visitor made is one more auth request at the server.
//
// Also: the README's Vue quick starts (marked `<!-- quickstart: vue… -->`), built as written; a
// server render; the types.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SERVER_URL, control, launch, localServer, newOrg, stopLocalServers } from "./browser.mjs";
import { cachedApp } from "./cached-app.mjs";
import { failsWhereMarked } from "./typescript.mjs";
import { answerApi, checkConsent, checkRoom, roomLogged, shownVisitor, watchedPage } from "./framework-page.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const DEV = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies;
const DEPENDENCIES = { vue: "3.5.47", "@vitejs/plugin-vue": "6.0.11", vite: DEV.vite };

let app;
let browser;

/** The app folder, installed once per run. */
function vueApp() {
  app ??= cachedApp("vue-app", DEPENDENCIES);
  return app;
}

after(async () => {
  await browser?.close();
  stopLocalServers();
});

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A Vue app</title></head>
<body><div id="app"></div><script type="module" src="/src/main.js"></script></body>
</html>
`;
const MAIN_JS = `import { createApp } from "vue";
import App from "./App.vue";

createApp(App).mount("#app");
`;
const VITE_CONFIG = `import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

export default defineConfig({ plugins: [vue()] });
`;

/** A Vite Vue app of `files` (under src/, with App.vue) in folder `name`, built; its dist/. */
function build(name, files) {
  const dir = join(vueApp(), "apps", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "index.html"), INDEX_HTML);
  writeFileSync(join(dir, "vite.config.js"), VITE_CONFIG);
  writeFileSync(join(dir, "src/main.js"), MAIN_JS);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, "src", file), text);
  try {
    execFileSync(process.execPath, [join(vueApp(), "node_modules/vite/bin/vite.js"), "build"], { cwd: dir, stdio: "pipe", encoding: "utf8" });
  } catch (error) {
    assert.fail(`vite build of ${name}:\n${error.stdout}${error.stderr}`);
  }
  return join(dir, "dist");
}


// A component with its own visitor, shown on a <p> (its data-* attributes); the visitor it was
// given on `window.visitors[name]`, with whether it is the SDK's own object (not a proxy).
const SHOWN_VUE = `<script setup>
import { toRaw, watch } from "vue";
import { useVisitor } from "giosg-visitor/vue";

const props = defineProps({ name: String, options: Object });
const { visitor, session, visitorId, storageKind, status, error } = useVisitor(props.options);
window.visitors ??= {};
window.statuses ??= {};
watch(visitor, (value) => {
  if (value) window.visitors[props.name] = { visitor: value, raw: toRaw(value) === value };
});
watch(status, (value) => {
  const seen = (window.statuses[props.name] ??= []);
  if (seen.at(-1) !== value) seen.push(value);
}, { immediate: true });
</script>

<template>
  <p :id="name" :data-status="status" :data-visitor-id="visitorId ?? ''" :data-token="session?.accessToken ?? ''" :data-storage="storageKind ?? ''" :data-error="error?.code ?? ''">{{ name }}: {{ status }}</p>
</template>
`;

const APP_VUE = `<script setup>
import { ref } from "vue";
import Shown from "./Shown.vue";

const params = new URLSearchParams(location.search);
const apiBaseUrl = params.get("api");
const mounted = ref(true);
</script>

<template>
  <button id="unmount" @click="mounted = false">unmount</button>
  <Shown v-if="mounted" name="own" :options="{ organizationId: params.get('org'), apiBaseUrl, storage: 'memory' }" />
  <Shown name="refused" :options="{ organizationId: params.get('refused'), apiBaseUrl, storage: 'memory', requestTimeoutMs: 10n }" />
</template>
`;

/** The local server's count of auth requests for `org`, and its log of them. */
async function authRequests(org) {
  const stats = await control(`/orgs/${org}/stats`);
  return { count: stats.auth_requests, log: stats.log.filter((entry) => entry.kind === "auth") };
}

/** What a component shows. */
async function shown(page, name) {
  const p = page.locator(`#${name}`);
  const [status, visitorId, token, storage, error] = await Promise.all(["status", "visitor-id", "token", "storage", "error"].map((attribute) => p.getAttribute(`data-${attribute}`)));
  return { status, visitorId, token, storage, error };
}

test("a Vite Vue app: one visitor and one auth request; a renewal re-renders; unkeyable options give invalid_options; unmount stops", async () => {
  const dist = build("app", { "App.vue": APP_VUE, "Shown.vue": SHOWN_VUE });
  const org = newOrg(); // tokens of 8 s, renewed about every 4 s
  const refused = newOrg();
  await control(`/orgs/${org}/config`, { method: "PUT", body: JSON.stringify({ expires_in: 8 }) });
  browser ??= await launch();
  const context = await browser.newContext();
  try {
    const page = await watchedPage(context, { warnings: true });
    await page.goto(`${await localServer(dist)}/?org=${org}&refused=${refused}&api=${encodeURIComponent(SERVER_URL)}`);
    await page.locator('#own[data-status="authenticated"]').waitFor({ timeout: 30_000 });
    await page.locator('#refused[data-status="error"]').waitFor();

    let own = await authRequests(org);
    assert.equal(own.count, 1, JSON.stringify(own.log));
    const first = await shown(page, "own");
    assert.deepEqual({ ...first, token: first.token.length > 0 }, { status: "authenticated", visitorId: own.log[0].visitor_id, token: true, storage: "memory", error: "" });
    assert.deepEqual(await shown(page, "refused"), { status: "error", visitorId: "", token: "", storage: "", error: "invalid_options" });
    assert.equal((await authRequests(refused)).count, 0);
    assert.deepEqual(await page.evaluate(() => window.statuses), { own: ["loading", "authenticated"], refused: ["loading", "error"] });
    assert.equal(await page.evaluate(() => window.visitors.own.raw), true, "the visitor ref holds the SDK's object itself");

    // A renewal re-renders with the new token, for the same visitor.
    await page.locator(`#own:not([data-token="${first.token}"])`).waitFor({ timeout: 20_000 });
    const renewed = await shown(page, "own");
    assert.equal(renewed.visitorId, first.visitorId);
    assert.notEqual(renewed.token, "");
    own = await authRequests(org);
    assert.ok(own.count >= 2, JSON.stringify(own.log));
    for (const entry of own.log) assert.equal(entry.visitor_id, first.visitorId, JSON.stringify(own.log));

    // Unmount: the visitor stops (it answers `stopped`), and no request follows.
    await page.click("#unmount");
    await page.locator("#own").waitFor({ state: "detached" });
    const answer = await page.evaluate(() => window.visitors.own.visitor.authenticate().then(() => "authenticated", (error) => error.code));
    assert.equal(answer, "stopped");
    const atUnmount = (await authRequests(org)).count;
    // Past the expiry of its last token, a running visitor would have asked again.
    const expiresAt = await page.evaluate(() => window.visitors.own.visitor.session?.expiresAt.getTime() ?? Date.now());
    await sleep(Math.max(0, expiresAt - Date.now()) + 1_000);
    assert.equal((await authRequests(org)).count, atUnmount);
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});

/** The README's code blocks marked `<!-- quickstart: vue… -->`: name → code. */
function vueQuickstarts() {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  return new Map([...text.matchAll(/<!-- quickstart: (vue[\w-]*) -->\n```vue\n([\s\S]*?)\n```\n/g)].map(([, name, code]) => [name, `${code}\n`]));
}

test("the README's Vue quick starts, built as written by Vite 8, show their visitor after one auth request (and the consent one moves it)", async () => {
  const blocks = vueQuickstarts();
  assert.deepEqual([...blocks.keys()].sort(), ["vue", "vue-consent"]);
  browser ??= await launch();
  for (const [name, code] of blocks) {
    const dist = build(`quickstart-${name}`, { "App.vue": code });
    // One server serves the app and answers the quick start's requests to the giosg API.
    const url = await localServer(dist);
    const context = await browser.newContext();
    try {
      const page = await watchedPage(context, { warnings: true });
      const traffic = await answerApi(page, url);
      const logged = roomLogged(page);
      await page.goto(`${url}/`);
      const answer = await shownVisitor(page, traffic, name);
      if (name === "vue") await checkRoom(page, traffic, answer, logged);
      else await checkConsent(page, answer);
      assert.equal(traffic.filter((t) => t.pathname.endsWith("/auth")).length, 1, `${name}: ${JSON.stringify(traffic)}`);
      assert.deepEqual(page.errors, []);
    } finally {
      await context.close();
    }
  }
});

test("a server render (@vue/server-renderer) shows the loading state, and loads nothing", () => {
  const script = `
    import { createSSRApp, defineComponent, h } from "vue";
    import { renderToString } from "vue/server-renderer";
    import { useVisitor } from "giosg-visitor/vue";
    const App = defineComponent({
      setup() {
        const { status, visitor } = useVisitor({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1" });
        return () => h("p", null, status.value + " " + String(visitor.value));
      },
    });
    console.log(await renderToString(createSSRApp(App)));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: vueApp(), encoding: "utf8" });
  assert.equal(out.trim(), "<p>loading null</p>");
});

test("vue.d.ts: a Vue app type-checks with tsc --strict, and its mistakes fail, each where it is", () => {
  const dir = join(vueApp(), "ts");
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(ROOT, "tests/consumer/ts"), dir, { recursive: true });
  const tsc = join(ROOT, "node_modules/.bin/tsc");
  try {
    execFileSync(tsc, ["-p", join(dir, "tsconfig.vue.json")], { cwd: vueApp(), encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    assert.fail(`${error.stdout}${error.stderr}`);
  }
  // The mistakes are in the app's file: the declarations were checked above (skipLibCheck off),
  // and checking Vue's again would double the time.
  failsWhereMarked(join(dir, "tsconfig.vue-bad.json"), join(dir, "vue-bad.ts"), 5, vueApp());
});
