// Shared by the end-to-end tests: Debian's Chromium through playwright-core, and the local server.
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
