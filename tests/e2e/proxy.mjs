// A forward proxy of a test's own, which every engine's browser is pointed at (tests/e2e/engines.mjs):
// the quick starts call https://service.giosg.com as written, and no engine may reach it. The
// proxy terminates TLS for that host with a self-signed certificate (made here with the `openssl`
// CLI; the browsers accept it by the WebDriver capability `acceptInsecureCerts`, or Playwright's
// `ignoreHTTPSErrors`) and forwards each request to the local server at `api`, recording it.
// Requests to loopback origins (the pages' own servers) are forwarded as they are and recorded
// too; any other host is refused, so that nothing a browser does on its own leaves the machine.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";

/** The host of the SDK's default `apiBaseUrl`. */
export const API_HOST = "service.giosg.com";

let certificate;
/** A key and a self-signed certificate for API_HOST, made once per process. */
function apiCertificate() {
  if (!certificate) {
    const dir = mkdtempSync(join(tmpdir(), "giosg-visitor-proxy-"));
    try {
      execFileSync("openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", `/CN=${API_HOST}`, "-addext", `subjectAltName=DNS:${API_HOST}`,
        "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
      ], { stdio: "pipe" });
      certificate = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return certificate;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
// Hop-by-hop headers, and the proxy's own.
const HOP = ["connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

function readBody(stream) {
  return new Promise((resolveBody, reject) => {
    const chunks = [];
    stream.on("data", (chunk) => chunks.push(chunk));
    stream.on("end", () => resolveBody(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

/** Sends `request` (its body read) to `target` (a URL), and resolves to the answer, read. */
function send(request, body, target) {
  const headers = { ...request.headers, host: target.host };
  for (const name of [...HOP, "accept-encoding"]) delete headers[name];
  return new Promise((resolveAnswer, reject) => {
    const outgoing = http.request(target, { method: request.method, headers }, async (answer) => {
      try {
        resolveAnswer({ status: answer.statusCode, headers: answer.headers, body: await readBody(answer) });
      } catch (error) {
        reject(error);
      }
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

function reply(response, { status, headers, body }) {
  const out = { ...headers, "content-length": String(body.length) };
  for (const name of HOP) delete out[name];
  response.writeHead(status, out);
  response.end(body);
}

/**
 * Starts a proxy that answers https://service.giosg.com from the local server at `api` (a URL,
 * if given). With `inject` ({ path, script }), it serves `script` at `path` on every loopback
 * origin and puts `<script src="path">` first in each HTML page it forwards (tests/e2e/engines.mjs
 * says which engine needs that, and why).
 *
 * Resolves to `{ url, traffic, requests, refused, close() }`: `url` is `http://127.0.0.1:port`;
 * `traffic` the API requests as they go, `{ method, pathname, search, status, body,
 * authorization }` each; `requests` the loopback ones, `{ method, url, pathname, dest, status }`
 * (`dest` is the browser's `Sec-Fetch-Dest`); `refused` the hosts refused.
 */
export async function startProxy({ api, inject } = {}) {
  const traffic = [];
  const requests = [];
  const refused = [];
  const sockets = new Set();

  // The requests inside the TLS tunnels to API_HOST.
  const apiFront = http.createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      const { pathname, search } = new URL(request.url, `https://${API_HOST}`);
      if (!api) throw new Error(`no local server answers ${API_HOST} here`);
      const answer = await send(request, body, new URL(`${pathname}${search}`, api));
      traffic.push({
        method: request.method, pathname, search, status: answer.status, body: answer.body.toString("utf8"),
        authorization: request.headers.authorization ?? null,
      });
      reply(response, answer);
    } catch (error) {
      traffic.push({ method: request.method, pathname: request.url, status: 502, body: String(error), authorization: null });
      response.writeHead(502).end();
    }
  });

  // Plain HTTP through the proxy (absolute URLs): loopback origins only.
  const server = http.createServer(async (request, response) => {
    let url;
    try {
      url = new URL(request.url);
    } catch {
      response.writeHead(400).end();
      return;
    }
    if (url.protocol !== "http:" || !LOOPBACK.has(url.hostname)) {
      refused.push(url.host);
      response.writeHead(502).end();
      return;
    }
    try {
      if (inject && url.pathname === inject.path) {
        reply(response, { status: 200, headers: { "content-type": "text/javascript", "cache-control": "no-store" }, body: Buffer.from(inject.script) });
        return;
      }
      const body = await readBody(request);
      const answer = await send(request, body, url);
      requests.push({ method: request.method, url: url.href, pathname: url.pathname, dest: request.headers["sec-fetch-dest"] ?? null, status: answer.status });
      if (inject && /^text\/html/i.test(answer.headers["content-type"] ?? "")) {
        const tag = `<script src="${inject.path}"></script>`;
        const html = answer.body.toString("utf8");
        const head = /<head(\s[^>]*)?>/i.exec(html);
        answer.body = Buffer.from(head ? `${html.slice(0, head.index + head[0].length)}${tag}${html.slice(head.index + head[0].length)}` : `${tag}${html}`);
      }
      reply(response, answer);
    } catch (error) {
      requests.push({ method: request.method, url: url.href, pathname: url.pathname, dest: request.headers["sec-fetch-dest"] ?? null, status: 502, error: String(error) });
      response.writeHead(502).end();
    }
  });

  // A WebSocket to a loopback origin asked of the proxy as an absolute URL (WebKit sends
  // `GET ws://127.0.0.1:port/… HTTP/1.1`; the others tunnel it with CONNECT): passed on as it is,
  // in origin form.
  server.on("upgrade", (request, socket, head) => {
    socket.on("error", () => {});
    let url;
    try {
      url = new URL(request.url);
    } catch {
      socket.destroy();
      return;
    }
    if (!["http:", "ws:"].includes(url.protocol) || !LOOPBACK.has(url.hostname)) {
      refused.push(url.host);
      socket.destroy();
      return;
    }
    requests.push({ method: request.method, url: url.href, pathname: url.pathname, dest: request.headers["sec-fetch-dest"] ?? null, status: null, upgrade: request.headers.upgrade ?? null });
    const upstream = net.connect(Number(url.port || 80), url.hostname === "[::1]" ? "::1" : url.hostname, () => {
      const lines = [`${request.method} ${url.pathname}${url.search} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        if (!/^proxy-/i.test(request.rawHeaders[i])) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    sockets.add(upstream);
    upstream.on("close", () => { sockets.delete(upstream); socket.destroy(); });
    upstream.on("error", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
  });

  server.on("connect", (request, socket, head) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const { hostname, port } = new URL(`http://${request.url}`);
    if (LOOPBACK.has(hostname)) {
      // A tunnel to a loopback port, as it is: WebKit's own connection to its inspector server
      // (MiniBrowser's GIO honours the proxy for it too), a WebSocket.
      const upstream = net.connect(Number(port), hostname === "[::1]" ? "::1" : hostname, () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length > 0) upstream.write(head);
        socket.pipe(upstream);
        upstream.pipe(socket);
      });
      sockets.add(upstream);
      upstream.on("close", () => { sockets.delete(upstream); socket.destroy(); });
      upstream.on("error", () => socket.destroy());
      socket.on("close", () => upstream.destroy());
      return;
    }
    if (request.url !== `${API_HOST}:443`) {
      refused.push(request.url);
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) socket.unshift(head);
    const secure = new tls.TLSSocket(socket, { isServer: true, ...apiCertificate() });
    secure.on("error", () => {});
    apiFront.emit("connection", secure);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    traffic,
    requests,
    refused,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolveClose) => server.close(() => resolveClose()));
    },
  };
}
