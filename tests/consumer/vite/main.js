// A user's app: the package as installed from its tarball, bundled by Vite.
import { ready, Visitor, VisitorError } from "giosg-visitor";

const status = document.getElementById("status");
const params = new URLSearchParams(location.search);
const org = params.get("org");
// The API: the page's own server (a bundle served by the local server), or `?api=` (a dev server).
const apiBaseUrl = params.get("api") ?? location.origin;
// Before `ready`: a VisitorError that says to await it.
try {
  new Visitor({ organizationId: org, apiBaseUrl });
  status.dataset.beforeReady = "no error";
} catch (error) {
  status.dataset.beforeReady = error instanceof VisitorError && /await ready/.test(error.message) ? "VisitorError" : String(error);
}
try {
  await ready;
  // The SDK's errors are VisitorErrors, for `instanceof`.
  try {
    new Visitor({ organizationId: "not a uuid" });
  } catch (error) {
    status.dataset.invalid = error instanceof VisitorError && error instanceof Error ? error.code : String(error);
  }
  const visitor = new Visitor({ organizationId: org, apiBaseUrl });
  const session = await visitor.authenticate();
  document.getElementById("visitor-id").textContent = session.visitorId;
  status.dataset.state = "ok";
  status.textContent = "authenticated";
} catch (error) {
  status.dataset.state = "error";
  status.textContent = `${error.code ?? error.name}: ${error.message}`;
}
