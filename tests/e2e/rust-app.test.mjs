// The example app written in Rust (examples/visitor-app: Yew on the crate's Rust API), as
// scripts/example.sh builds it into target/example-www/ (scripts/test.sh builds it before this
// runs), served by a local server of the test's own (`--www`), in headless Chromium: one auth
// request for the first load, the visitor id shown, the token's countdown going down and jumping
// back up when the token is renewed in the background, the button's request authorized, and the
// consent switch writing the secret to localStorage and erasing it when withdrawn.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { launch, localServer, newOrg, stopLocalServers } from "./browser.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const WWW = join(ROOT, "target/example-www");

let browser;
let server;

before(async () => {
  assert.ok(existsSync(join(WWW, "app_bg.wasm")), `no ${WWW}/app_bg.wasm: scripts/example.sh builds it`);
  server = await localServer(WWW);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  stopLocalServers();
});

async function control(path, init) {
  const response = await fetch(`${server}/__control${path}`, init);
  if (!response.ok) throw new Error(`control ${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

/** Resolves to `check()`'s first truthy value, asked every 50 ms; fails after `ms` saying `what`. */
async function until(what, check, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

test("the Rust example app: one auth request, the visitor id, a countdown that renews, an authorized request, consent", async () => {
  const org = newOrg();
  await control(`/orgs/${org}/config`, { method: "PUT", body: JSON.stringify({ expires_in: 3 }) });
  const room = await control(`/orgs/${org}/rooms`, { method: "POST", body: JSON.stringify({ display_name: "Support" }) });

  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
    page.on("console", (message) => message.type() === "error" && errors.push(`console error: ${message.text()}`));
    const answers = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname.endsWith("/auth")) answers.push(response.json());
    });
    // Every value the countdown shows, with the expiry it counts to, as the page changes it.
    await page.addInitScript(() => {
      window.countdown = [];
      new MutationObserver(() => {
        const element = document.querySelector("#countdown");
        if (!element) return;
        const shown = { seconds: Number(element.textContent), expiresAt: Number(element.dataset.expiresAt) };
        const last = window.countdown.at(-1);
        if (!last || last.seconds !== shown.seconds || last.expiresAt !== shown.expiresAt) window.countdown.push(shown);
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    });

    // The API base is the page's own origin (the app's default); org and room from the query.
    await page.goto(`${server}/?org=${org}&room=${room.id}`);
    const visitorId = await until("the visitor id shown", async () => {
      const text = (await page.textContent("#visitor-id")).trim();
      return /^[0-9a-f]{32}$/.test(text) && text;
    });
    const first = await answers[0];
    assert.equal(visitorId, first.visitor_id);

    // The token (3 s) is renewed in the background: a second auth request, by the same visitor,
    // and the countdown jumps back up to the new expiry.
    await until("a renewal (auth_requests 2)", async () => (await control(`/orgs/${org}/stats`)).auth_requests >= 2);
    const log = (await control(`/orgs/${org}/stats`)).log.filter((entry) => entry.kind === "auth");
    assert.equal(log.filter((entry) => !entry.secret_sent).length, 1, `one auth request of a new visitor: ${JSON.stringify(log)}`);
    assert.equal(log[0].secret_sent, false, "the first load's request");
    for (const entry of log.slice(1)) {
      assert.ok(entry.secret_sent && entry.secret_known && entry.visitor_id === visitorId && entry.status === 200, JSON.stringify(entry));
    }
    const shown = await until("the countdown going down, then jumping back up", async () => {
      const values = await page.evaluate(() => window.countdown);
      const down = values.findIndex((value, i) => i > 0 && value.seconds < values[i - 1].seconds && value.expiresAt === values[i - 1].expiresAt);
      const up = values.findIndex((value, i) => i > down && down > 0 && value.seconds > values[i - 1].seconds && value.expiresAt > values[i - 1].expiresAt);
      return up > 0 && values;
    });
    assert.ok(shown.every((value) => Number.isInteger(value.seconds) && value.seconds >= 0 && value.seconds <= 3), JSON.stringify(shown));
    assert.equal(shown[0].expiresAt > Date.now() - 60_000, true, "the expiry is the local clock's, in ms");
    assert.equal((await page.textContent("#visitor-id")).trim(), visitorId, "a renewal keeps the visitor");

    // The button's request carries the token: the room answers 200.
    assert.equal((await control(`/orgs/${org}/stats`)).api_requests, 0);
    await page.click("#fetch-room");
    await until("the room's status shown", async () => (await page.textContent("#room-status")).trim() === "200");
    const stats = await control(`/orgs/${org}/stats`);
    assert.equal(stats.api_requests, 1);
    assert.deepEqual(
      stats.log.filter((entry) => entry.kind === "api").map((entry) => [entry.method, entry.path, entry.status]),
      [["GET", `/api/v5/public/orgs/${org}/rooms/${room.id}`, 200]],
    );

    // Consent: nothing stored before it (the app starts in memory); given, the secret is in
    // localStorage; withdrawn, every stored copy is erased. The visitor stays the same.
    const stored = () => page.evaluate(() => [localStorage, sessionStorage].flatMap((storage) => Object.keys(storage)));
    assert.deepEqual(await stored(), [], "stored before consent");
    assert.equal(await page.isChecked("#consent"), false);
    await page.click("#consent");
    const secretKey = `giosg:${server}:secret`;
    const kept = await until("the secret in localStorage", () => page.evaluate((key) => localStorage.getItem(key), secretKey));
    assert.equal(JSON.parse(kept).secret, (await answers.at(-1)).visitor_secret_id);
    assert.equal((await page.textContent("#storage")).trim(), "local");
    await page.click("#consent");
    await until("every stored copy erased", async () => (await stored()).length === 0);
    assert.equal((await page.textContent("#storage")).trim(), "memory");
    assert.equal((await page.textContent("#visitor-id")).trim(), visitorId, "consent keeps the visitor");
    const renewals = (await control(`/orgs/${org}/stats`)).log.filter((entry) => entry.kind === "auth").slice(1);
    assert.ok(renewals.every((entry) => entry.secret_sent && entry.visitor_id === visitorId), `the same visitor throughout: ${JSON.stringify(renewals)}`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("the Rust example app stops its visitor when it unmounts: no renewal after", async () => {
  const org = newOrg();
  await control(`/orgs/${org}/config`, { method: "PUT", body: JSON.stringify({ expires_in: 3 }) });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
    await page.goto(`${server}/?org=${org}`);
    await until("the visitor id shown", async () => /^[0-9a-f]{32}$/.test((await page.textContent("#visitor-id")).trim()));
    await page.click("#unmount");
    await until("the app unmounted", async () => (await page.$("#visitor-id")) === null);
    const { auth_requests: at } = await control(`/orgs/${org}/stats`);
    // Renewals came every 1.5 s or so: after three times that, none more.
    const since = Date.now();
    await until("4.5 s without a renewal", async () => {
      assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, at, "a renewal after the unmount");
      return Date.now() - since > 4_500;
    });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
