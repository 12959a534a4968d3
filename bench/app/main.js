// The smallest app that ships the whole SDK: what a bundler emits for it is what we measure.
import { ready, Visitor } from "giosg-visitor";

await ready;
const visitor = new Visitor({ organizationId: new URLSearchParams(location.search).get("org") ?? "", apiBaseUrl: location.origin });
visitor.authenticate().then((s) => { document.title = s.visitorId; });
