// The demo page, as a user opens it: a visitor gets authenticated through the wasm package, and
// the SDK's events show as they happen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SERVER_URL, launch, newOrg, control } from "./browser.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("the demo page authenticates a visitor and shows its id and token expiry", async () => {
  const org = newOrg();
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${SERVER_URL}/?org=${org}`);
  await page.locator('#status[data-state="ok"]').waitFor();
  const visitorId = await page.locator("#visitor-id").textContent();
  assert.match(visitorId, /^[0-9a-f]{32}$/);
  assert.notEqual(await page.locator("#expires-at").textContent(), "–");
  assert.equal(await page.locator("#organization-id").textContent(), org);
  const stats = await control(`/orgs/${org}/stats`);
  assert.equal(stats.auth_requests, 1);
  assert.equal(stats.log[0].visitor_id, visitorId);

  // A reload is the same visitor, from the cached session: no request.
  await page.reload();
  await page.locator('#status[data-state="ok"]').waitFor();
  assert.equal(await page.locator("#visitor-id").textContent(), visitorId);
  assert.match(await page.locator('#log li[data-kind="session"]').first().textContent(), /cache:/);
  assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the demo page shows renewals as they happen", async () => {
  const org = newOrg();
  const page = await browser.newPage();
  await page.goto(`${SERVER_URL}/?org=${org}&lifetime=2`);
  // The first session, then a renewal from the timer (a 2 s token renews after 1 to 1.2 s).
  await page.locator('#log li[data-kind="session"]').nth(1).waitFor({ timeout: 5000 });
  const texts = await page.locator('#log li[data-kind="session"]').allTextContents();
  assert.ok(texts.every((t) => t.includes("network:")), texts.join("\n"));
  assert.ok((await control(`/orgs/${org}/stats`)).auth_requests >= 2);
  await page.close();
});

test("the demo page shows a server error as an error", async () => {
  const org = newOrg();
  await control(`/orgs/${org}/faults`, { method: "PUT", body: JSON.stringify({ status: 403, times: 1 }) });
  const page = await browser.newPage();
  await page.goto(`${SERVER_URL}/?org=${org}`);
  await page.locator('#status[data-state="error"]').waitFor();
  assert.match(await page.locator("#status").textContent(), /^http: .*403/);
  await page.close();
});
