// Must NOT type-check: each marked line is an error vue.d.ts has to catch.
import { useVisitor } from "giosg-visitor/vue";

export function wrong() {
  useVisitor({ organizationId: 1 }); // error: a wrong option type
  useVisitor(() => ({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1", storage: "cookie" })); // error: an unknown storage kind
  const { status, visitor, session } = useVisitor({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1" });
  status.value = "authenticated"; // error: the refs are read-only
  console.log(session.value.accessToken); // error: no session before it is checked
  if (status.value === "done") visitor.value?.stop(); // error: no such status
}
