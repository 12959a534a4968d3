// Must NOT type-check: each marked line is an error react.d.ts has to catch.
import { VisitorProvider, useVisitor } from "giosg-visitor/react";

export function Wrong() {
  useVisitor({ organizationId: 1 }); // error: a wrong option type
  useVisitor({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1", storage: "cookie" }); // error: an unknown storage kind
  const { status, error, session } = useVisitor();
  if (status === "loading") console.log(error.code); // error: no error while loading
  if (status === "authenticated") console.log(error.code); // error: a renewal's error may be null
  console.log(session.accessToken); // error: no session before status is checked
  return <VisitorProvider>{status}</VisitorProvider>; // error: the provider needs its options
}
