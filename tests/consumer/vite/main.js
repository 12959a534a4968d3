// A user's app: the package as installed from its tarball, bundled by Vite.
import { ready, Visitor } from "giosg-visitor";

const status = document.getElementById("status");
try {
  await ready;
  const visitor = new Visitor({ organizationId: new URLSearchParams(location.search).get("org"), apiBaseUrl: location.origin });
  const session = await visitor.authenticate();
  document.getElementById("visitor-id").textContent = session.visitorId;
  status.dataset.state = "ok";
  status.textContent = "authenticated";
} catch (error) {
  status.dataset.state = "error";
  status.textContent = `${error.code ?? error.name}: ${error.message}`;
}
