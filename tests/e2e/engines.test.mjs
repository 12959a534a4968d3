// The instruments the cross-engine tests read (tests/e2e/engines.mjs, tests/e2e/proxy.mjs), checked
// in each engine on a page that does, on purpose, each thing they must see: console lines with
// their values, a thrown error, an unhandled rejection, a CSP violation, a request to
// https://service.giosg.com answered by a local server, a request to a host that must never be
// reached, a WebSocket to a loopback port (through the proxy, as a dev server's is). If an instrument went blind in an engine, the tests that rely on it there could not
// fail; this one would.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localServer, newOrg, stopLocalServers } from "./browser.mjs";
import { closeEngines, engines } from "./engines.mjs";

const www = mkdtempSync(join(tmpdir(), "giosg-visitor-engines-"));
writeFileSync(join(www, "index.html"), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; connect-src https://service.giosg.com https://unreachable.invalid ws://127.0.0.1:*">
<title>Instruments</title>
</head>
<body>
<script>window.inlineRan = true;</script>
<script src="/page.js"></script>
</body>
</html>
`);
writeFileSync(join(www, "page.js"), `
console.log("values", 42, { list: [1, "two"], none: null, yes: true });
console.warn("a warning");
const org = new URLSearchParams(location.search).get("org");
fetch("https://service.giosg.com/api/v5/public/orgs/" + org + "/rooms/none", { headers: { authorization: "Bearer not-a-token" } })
  .then((response) => console.log("answered", response.status));
fetch("https://unreachable.invalid/").then(() => console.log("unreachable answered"), () => console.log("unreachable refused"));
localStorage.setItem("instruments", "stored");
const wsPort = new URLSearchParams(location.search).get("ws");
if (wsPort) {
  const ws = new WebSocket("ws://127.0.0.1:" + wsPort + "/socket");
  ws.onopen = () => console.log("websocket open");
  ws.onerror = () => console.log("websocket failed");
}
setTimeout(() => { throw new Error("thrown on purpose"); }, 0);
Promise.reject(new Error("rejected on purpose"));
`);
writeFileSync(join(www, "note.txt"), "Not HTML: the proxy puts no recorder in it.\n");
writeFileSync(join(www, "empty.html"), `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Empty</title></head><body></body></html>\n`);

// A WebSocket server that only opens: the handshake of RFC 6455, nothing after it.
const sockets = http.createServer((request, response) => response.writeHead(404).end());
sockets.on("upgrade", (request, socket) => {
  const accept = createHash("sha1").update(`${request.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  socket.on("error", () => {});
});
await new Promise((resolveListen) => sockets.listen(0, "127.0.0.1", resolveListen));

after(async () => {
  sockets.closeAllConnections?.();
  sockets.close();
  await closeEngines();
  stopLocalServers();
  rmSync(www, { recursive: true, force: true });
});

for (const engine of engines) {
  test(`${engine.name}: the instruments see console values, page errors, CSP violations and the proxied traffic`, async () => {
    const site = await localServer(www);
    const api = await localServer();
    const org = newOrg();
    const context = await engine.newContext({ api });
    try {
      const page = await context.openPage(`${site}/?org=${org}&ws=${sockets.address().port}`);
      await page.until("both answers logged and both errors", () => {
        const texts = page.logs.map((l) => l.text);
        if (!texts.some((t) => t.startsWith("websocket"))) return false;
        const errors = ["thrown on purpose", "rejected on purpose"].filter((e) => page.errors.some((error) => error.includes(e)));
        return texts.some((t) => t.startsWith("answered")) && texts.includes("unreachable refused") && errors.length === 2;
      });
      assert.deepEqual(page.logs.find((l) => l.args[0] === "values")?.args, ["values", 42, { list: [1, "two"], none: null, yes: true }]);
      assert.equal(page.logs.find((l) => l.text === "a warning")?.level, "warn");
      assert.ok(page.logs.some((l) => l.text === "websocket open"), JSON.stringify(page.logs.map((l) => l.text)));
      assert.deepEqual(page.logs.find((l) => l.args[0] === "answered")?.args, ["answered", 401]);
      assert.equal(page.violations.length, 1, JSON.stringify(page.violations));
      assert.equal(await page.evaluate(() => window.inlineRan ?? false), false, "the inline script ran");
      assert.equal(await page.evaluate(async (n) => n + 1, 41), 42);

      const rooms = context.traffic.filter((t) => t.pathname === `/api/v5/public/orgs/${org}/rooms/none`);
      assert.equal(rooms.length, 1, JSON.stringify(context.traffic));
      assert.equal(rooms[0].method, "GET");
      assert.equal(rooms[0].status, 401);
      assert.equal(rooms[0].authorization, "Bearer not-a-token");
      assert.ok(context.proxy.refused.includes("unreachable.invalid:443"), JSON.stringify(context.proxy.refused));
      const own = context.requests.map((r) => `${r.dest} ${r.pathname}`);
      assert.ok(own.includes("document /") && own.includes("script /page.js"), own.join(", "));
      assert.ok(!own.some((r) => r.includes("recorder")), own.join(", "));
    } finally {
      await context.close();
    }
  });

  test(`${engine.name}: each context starts with empty storage, and its pages share theirs`, async () => {
    const site = await localServer(www);
    const first = await engine.newContext({});
    try {
      const page = await first.openPage(`${site}/?org=${newOrg()}`);
      await page.waitFor("page.js to store", () => localStorage.getItem("instruments") === "stored");
      const other = await first.openPage(`${site}/empty.html`);
      assert.equal(await other.evaluate(() => localStorage.getItem("instruments")), "stored");
      assert.equal(await other.evaluate(() => document.visibilityState), "visible");
      await other.close();
      assert.equal(await page.evaluate(() => document.visibilityState), "visible");
    } finally {
      await first.close();
    }
    const second = await engine.newContext({});
    try {
      const page = await second.openPage(`${site}/empty.html`);
      assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
    } finally {
      await second.close();
    }
  });

  if (engine.recorded) {
    test(`${engine.name}: a page without its console recorder fails, rather than hiding what the page logs`, async () => {
      const site = await localServer(www);
      const context = await engine.newContext({});
      try {
        const page = await context.openPage(`${site}/note.txt`);
        await assert.rejects(page.evaluate(() => document.title), /no console recorder/);
      } finally {
        await context.close();
      }
    });
  }
}
