// The script-tag embed's global, typed by the package's embed.d.ts: a classic script (no import or
// export), as a page's app.js compiled by tsc. Must type-check with `tsc --strict`.
/// <reference types="giosg-visitor/embed" />

GiosgVisitor.ready.then(async () => {
  const options: GiosgVisitor.VisitorOptions = { organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1", storage: "session" };
  const visitor: GiosgVisitor.Visitor = new GiosgVisitor.Visitor(options);
  visitor.on("session", ({ session, source }) => console.log(session.visitorId, source));
  try {
    const session: GiosgVisitor.Session = await visitor.authenticate();
    console.log(session.expiresAt.getTime());
  } catch (error) {
    if (error instanceof GiosgVisitor.VisitorError) {
      const code: GiosgVisitor.VisitorErrorCode = error.code;
      console.log(code, error.status);
    }
  }
  // The same object, through `window`.
  const global: typeof GiosgVisitor = window.GiosgVisitor;
  const ready: Promise<void> = global.ready;
  await ready;
});
