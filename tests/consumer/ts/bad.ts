// Must NOT type-check: each marked line is an error the declarations have to catch.
import { ready, Visitor } from "giosg-visitor";

await ready;
// A wrong option type:
const visitor = new Visitor({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1", autoRenew: "yes" }); // error: autoRenew
// An unknown event name:
visitor.on("sesion", () => {}); // error: event
// A wrong listener detail:
visitor.on("session", ({ session }) => session.visitorId.toFixed()); // error: detail
// An unknown storage kind:
new Visitor({ organizationId: "x", storage: "cookie" }); // error: storage
// An unknown storage kind for setStorage:
visitor.setStorage("cookie"); // error: setStorage
