// A page whose Content-Security-Policy does not let it connect to the API: the README's CSP line for
// the embed, copied as written, with `apiBaseUrl` at a local server the policy does not name. The
// browser refuses the auth request at once and fires `securitypolicyviolation`; authenticate()
// then rejects with `network` and a message that names `connect-src` and the origin to add, instead
// of retrying what the browser refuses alike until the 30 s give-up (the host tests of the lifecycle,
// src/core/lifecycle/tests.rs, check that nothing is retried, whichever of the two the browser
// reports first). Run against the embed files of pkg/ (what the tarball ships), in each engine.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { localServer, newOrg, stopLocalServers } from "./browser.mjs";
import { closeEngines, engines } from "./engines.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
// The policy the package README states beside the embed.
const csp = /`(script-src 'self' 'wasm-unsafe-eval'; connect-src [^`]*)`/.exec(readFileSync(join(ROOT, "packaging/README.md"), "utf8"))[1];

const www = mkdtempSync(join(tmpdir(), "giosg-visitor-csp-"));
for (const file of ["giosg-visitor.js", "giosg-visitor_bg.wasm"]) copyFileSync(join(ROOT, "pkg/embed", file), join(www, file));
writeFileSync(join(www, "index.html"), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>A policy without the API</title>
</head>
<body>
<script src="giosg-visitor.js"></script>
<script src="app.js"></script>
</body>
</html>
`);
writeFileSync(join(www, "app.js"), `
const query = new URLSearchParams(location.search);
GiosgVisitor.ready.then(() => {
  const visitor = new GiosgVisitor.Visitor({ organizationId: query.get("org"), apiBaseUrl: query.get("api") });
  const started = performance.now();
  visitor.authenticate().then(
    () => { window.outcome = { authenticated: true }; },
    (error) => { window.outcome = { isVisitorError: error instanceof GiosgVisitor.VisitorError, code: error.code, message: error.message, ms: performance.now() - started }; },
  );
});
`);

after(async () => {
  await closeEngines();
  stopLocalServers();
  rmSync(www, { recursive: true, force: true });
});

for (const engine of engines) {
  test(`${engine.name}: an auth request the page's connect-src refuses is rejected with network and a message naming connect-src and the API origin`, async (t) => {
    const site = await localServer(www);
    const api = await localServer();
    assert.ok(!csp.includes(new URL(api).host), `${csp} allows ${api}`);
    const context = await engine.newContext({ api });
    try {
      const page = await context.openPage(`${site}/?org=${newOrg()}&api=${encodeURIComponent(api)}`);
      // Well under the 30 s of retries the call took before; how long it took is printed.
      await page.waitFor("authenticate() to settle", () => window.outcome !== undefined, undefined, 20_000);
      const outcome = await page.evaluate(() => window.outcome);
      t.diagnostic(`rejected after ${Math.round(outcome.ms)} ms`);
      assert.deepEqual(
        { ...outcome, ms: undefined },
        { isVisitorError: true, code: "network", message: `the page's Content-Security-Policy refused the request: add ${api} to its connect-src`, ms: undefined },
      );
      // The browser refused it: nothing reached the API.
      assert.deepEqual(context.traffic.filter((r) => r.pathname.endsWith("/auth")), []);
    } finally {
      await context.close();
    }
  });
}
