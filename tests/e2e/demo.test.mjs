// The pages as a user opens them: the demo page (the ES module entry of the package) shows a
// visitor's lifecycle, and the embed page (the script tag) works under a strict CSP. The embed
// page and the consent switch run in every engine (tests/e2e/engines.mjs); the lifecycle, the
// timeline (with its screenshot) and the error state in Chromium, through Playwright.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { SERVER_URL, launch, newOrg, control } from "./browser.mjs";
import { closeEngines, engines } from "./engines.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => {
  await browser?.close();
  await closeEngines();
});

async function open(url) {
  const page = await browser.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  // Console errors of the page's code (the browser's own network log lines are not).
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) page.errors.push(message.text());
  });
  await page.goto(url);
  return page;
}

test("the demo page authenticates a visitor and shows its id and token expiry, in Chromium", async () => {
  const org = newOrg();
  const page = await open(`${SERVER_URL}/?org=${org}`);
  await page.locator('#status[data-state="ok"]').waitFor();
  const visitorId = await page.locator("#visitor-id").textContent();
  assert.match(visitorId, /^[0-9a-f]{32}$/);
  assert.match(await page.locator("#expires-at").textContent(), /^expires \d/);
  assert.equal(await page.locator("#organization-id").textContent(), org);
  const stats = await control(`/orgs/${org}/stats`);
  assert.equal(stats.auth_requests, 1);
  assert.equal(stats.log[0].visitor_id, visitorId);

  // A reload is the same visitor, from the cached session: no request.
  await page.reload();
  await page.locator('#status[data-state="ok"]').waitFor();
  assert.equal(await page.locator("#visitor-id").textContent(), visitorId);
  assert.equal(await page.locator('#log li[data-kind="session"]').first().getAttribute("data-source"), "cache");
  assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, 1);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the demo's timeline shows a renewal and an injected fault, and the screenshot is saved, in Chromium", async () => {
  const org = newOrg();
  const page = await open(`${SERVER_URL}/?org=${org}&lifetime=2`);
  await page.setViewportSize({ width: 1200, height: 900 });
  // The first session, then a renewal from the timer (a 2 s token renews after 1 to 1.2 s).
  await page.locator('#log li[data-kind="session"]').nth(1).waitFor({ timeout: 5000 });
  const sources = await page.locator('#log li[data-kind="session"]').evaluateAll((items) => items.map((i) => i.dataset.source));
  assert.ok(sources.every((s) => s === "network"), sources.join());
  // A fault from the page's own controls shows as an error event, then recovery.
  await page.locator("button.fault", { hasText: "500 once" }).click();
  await page.locator('#log li[data-kind="error"]').first().waitFor({ timeout: 5000 });
  assert.match(await page.locator('#log li[data-kind="error"]').first().textContent(), /http.*500/);
  await page.locator('#status[data-state="ok"]').waitFor({ timeout: 5000 });
  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: "test-results/demo.png", fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the demo page shows a server error as an error, in Chromium", async () => {
  const org = newOrg();
  await control(`/orgs/${org}/faults`, { method: "PUT", body: JSON.stringify({ status: 403, times: 1 }) });
  const page = await open(`${SERVER_URL}/?org=${org}`);
  await page.locator('#status[data-state="error"]').waitFor();
  assert.match(await page.locator("#status").textContent(), /^http: .*403/);
  await page.close();
});

/** Resolves when the page's #status says `state`. */
function status(page, state) {
  return page.waitFor(`#status to be ${state}`, (s) => document.querySelector(`#status[data-state="${s}"]`) !== null, state);
}

for (const engine of engines) {
  test(`the demo's consent switch moves the visitor between localStorage and memory, keeping it, in ${engine.name}`, async () => {
    const org = newOrg();
    const context = await engine.newContext();
    try {
      // Started without consent: in memory, nothing in localStorage.
      const page = await context.openPage(`${SERVER_URL}/?org=${org}&consent=0`);
      await status(page, "ok");
      const visitorId = await page.text("#visitor-id");
      const keys = () => page.evaluate((o) => Object.keys(localStorage).filter((k) => k.endsWith(":secret") || k.includes(o)), org);
      const consent = () => page.evaluate(() => document.querySelector("#consent").checked);
      assert.equal(await page.text("#storage-kind"), "memory");
      assert.equal(await consent(), false);
      assert.deepEqual(await keys(), []);
      // Consent given: the keys appear, the identity stays, nothing is sent.
      await page.click("#consent");
      assert.equal(await consent(), true);
      await page.waitFor("the storage kind to be local", () => document.querySelector("#storage-kind").textContent.includes("local"));
      assert.equal((await keys()).length, 2);
      assert.match(await page.text("#stored-keys"), /secret/);
      // Withdrawn: the keys go, the identity stays.
      await page.click("#consent");
      assert.equal(await consent(), false);
      await page.waitFor("the storage kind to be memory", () => document.querySelector("#storage-kind").textContent.includes("memory"));
      assert.deepEqual(await keys(), []);
      assert.equal(await page.text("#visitor-id"), visitorId);
      assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, 1);
      await page.sync();
      assert.deepEqual(page.errors, []);
    } finally {
      await context.close();
    }
  });

  test(`the script-tag embed authenticates under a strict Content Security Policy, in ${engine.name}`, async () => {
    const org = newOrg();
    const context = await engine.newContext();
    try {
      const page = await context.openPage(`${SERVER_URL}/embed.html?org=${org}`);
      await status(page, "ok");
      assert.match(await page.text("#visitor-id"), /^[0-9a-f]{32}$/);
      assert.equal(await page.evaluate(() => typeof window.wasm_bindgen), "undefined", "the glue stays out of the global scope");
      assert.equal(await page.evaluate(() => typeof window.GiosgVisitor.Visitor), "function");
      // Its errors are instances of the VisitorError it exports.
      const invalid = await page.evaluate(() => {
        try {
          new window.GiosgVisitor.Visitor({});
        } catch (error) {
          return error instanceof window.GiosgVisitor.VisitorError && error.code;
        }
      });
      assert.equal(invalid, "invalid_options");
      await page.sync();
      // Seen from the start of the page (engines.mjs), not only from when it had loaded.
      assert.deepEqual(page.violations, []);
      assert.deepEqual(page.errors, []);
      assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, 1);
    } finally {
      await context.close();
    }
  });
}
