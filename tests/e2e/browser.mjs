// Shared by the end-to-end tests: Debian's Chromium through playwright-core, and the local server.
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const SERVER_URL = process.env.SERVER_URL;
if (!SERVER_URL) {
  throw new Error("SERVER_URL is not set: run the end-to-end tests through scripts/test.sh");
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/** A fresh organization id, so that server counts never mix between tests. */
export function newOrg() {
  return crypto.randomUUID();
}

export async function control(path, init) {
  const response = await fetch(`${SERVER_URL}/__control${path}`, init);
  if (!response.ok) throw new Error(`control ${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

const ROOT = resolve(import.meta.dirname, "../..");
const ownServers = [];

/**
 * A local server of a test's own on a free port, serving `www` (if given) and the API. Resolves to
 * its URL (without a trailing slash); `stopLocalServers()` stops every one started.
 */
export function localServer(www) {
  const server = spawn(join(ROOT, "target/release/giosg-local-server"), ["--port", "0", ...(www ? ["--www", www] : [])]);
  ownServers.push(server);
  return new Promise((resolveUrl, reject) => {
    server.stdout.on("data", (chunk) => {
      const match = /giosg local server: (http:\/\/\S+)\//.exec(String(chunk));
      if (match) resolveUrl(match[1]);
    });
    server.on("exit", (code) => reject(new Error(`the local server exited with ${code}`)));
  });
}

/** Stops the local servers that `localServer()` started. */
export function stopLocalServers() {
  for (const server of ownServers.splice(0)) server.kill();
}
