// Must type-check with `tsc --strict` against the shipped react.d.ts (and @types/react).
import type { ReactElement } from "react";
import type { Session, Visitor, VisitorError, VisitorErrorCode } from "giosg-visitor";
import { VisitorProvider, useChannel, useVisitor, type VisitorState, type VisitorStorageKind } from "giosg-visitor/react";

export function Badge({ organizationId }: { organizationId: string }): ReactElement {
  const state: VisitorState = useVisitor({ organizationId, storage: "memory", autoRenew: true });
  const { status, visitor, visitorId, session, error, storageKind } = state;
  if (status === "loading") {
    const none: null = session;
    const maybe: Visitor | null = visitor;
    return <p>{String(none)} {maybe?.organizationId}</p>;
  }
  if (status === "error") {
    const code: VisitorErrorCode = error.code;
    const failed: VisitorError = error;
    return <p>{code} {failed.status ?? 0}</p>;
  }
  // Authenticated: the visitor, its session and id are there; `error` a failed renewal, if any.
  const current: Session = session;
  const id: string = visitorId;
  const kind: VisitorStorageKind = storageKind;
  const renewal: VisitorError | null = error;
  const open = async (): Promise<number> => (await visitor.fetch(`/api/v5/public/orgs/${visitor.organizationId}/rooms/x`)).status;
  return (
    <p onClick={() => void open()}>
      {id} {current.expiresAt.toISOString()} {kind} {renewal?.code}
    </p>
  );
}

function FromProvider(): ReactElement {
  const { status, visitorId, visitor } = useVisitor();
  // A channel known only once there is a visitor id; of the provider's visitor, or a given one.
  useChannel(visitorId === null ? null : `/api/v5/public/visitors/${visitorId}/chats`, (change) => console.log(change.action, change.resourceId?.length));
  useChannel("/api/v5/public/orgs/x/rooms/y/online_users", (change) => console.log(change.resource?.["public_name"]), visitor);
  return <span>{status}</span>;
}

export function App(): ReactElement {
  return (
    <VisitorProvider options={{ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1", apiBaseUrl: null }}>
      <Badge organizationId="e6a08f51-c250-4074-847b-58d444dbbeb1" />
      <FromProvider />
    </VisitorProvider>
  );
}
