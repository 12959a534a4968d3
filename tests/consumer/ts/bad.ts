// Must NOT type-check: each marked line is an error the declarations have to catch.
/// <reference types="giosg-visitor/embed" />
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

new Visitor({ organizationId: null }); // error: organizationId is required, null is not a default
// An unknown storage kind for setStorage:
visitor.setStorage("cookie"); // error: setStorage
// A channel's listener gets a Change, whose action is one of three names:
visitor.subscribe("/api/v5/public/visitors/x/chats", (change) => change.action === "deleted"); // error: action
// The embed's global is typed too (a wrong option type):
new GiosgVisitor.Visitor({ organizationId: 1 }); // error: embed
