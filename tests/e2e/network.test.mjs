// A caller waiting while the browser is offline (SPEC §3): back online, the SDK tries at once
// instead of waiting out its backoff, and the call settles with what that attempt brings. Headless
// Chromium through Playwright (the browser's own `online` event), against the local server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SERVER_URL, launch, newOrg, control } from "./browser.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a call made offline succeeds soon after the browser is back online, without waiting out its backoff", async () => {
  const org = newOrg();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${SERVER_URL}/tab.html?org=${org}`);
  await page.waitForFunction(() => window.tab?.ready === true);
  await context.setOffline(true);
  // A forced renewal while offline: every attempt fails, and the backoff between them grows.
  await page.evaluate(() => {
    window.call = { settled: null };
    window.tab.visitor.authenticate({ force: true }).then(
      (session) => { window.call.settled = { ok: session.visitorId, at: Date.now() }; },
      (error) => { window.call.settled = { error: error.code, at: Date.now() }; },
    );
  });
  // Offline for 8 s: by then the next attempt may be up to 16 s away.
  await new Promise((resolve) => setTimeout(resolve, 8000));
  assert.equal(await page.evaluate(() => window.call.settled), null, "the call settled while offline");
  const online = await page.evaluate(() => Date.now());
  await context.setOffline(false);
  await page.waitForFunction(() => window.call.settled !== null, null, { timeout: 30_000 });
  const settled = await page.evaluate(() => window.call.settled);
  assert.equal(settled.ok, await page.evaluate(() => window.tab.visitor.visitorId), JSON.stringify(settled));
  // Settled by the attempt made on coming back online, not at the end of a backoff of seconds.
  assert.ok(settled.at - online < 3000, `settled ${settled.at - online} ms after coming back online`);
  assert.equal((await control(`/orgs/${org}/stats`)).auth_requests, 2, "offline attempts never reached the server");
  await context.close();
});
