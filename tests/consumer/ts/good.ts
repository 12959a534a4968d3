// Must type-check with `tsc --strict` against the shipped .d.ts.
import { ready, Visitor, VisitorError, type Change, type Session, type VisitorErrorCode, type VisitorOptions } from "giosg-visitor";

const options: VisitorOptions = {
  organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1",
  apiBaseUrl: "https://service.giosg.com",
  storage: "local",
  storageKeyPrefix: "app",
  autoRenew: true,
  renewBeforeSeconds: 60,
  requestTimeoutMs: 10_000,
  allowedOrigins: ["https://files.example.com"],
  onSecretRejected: "reset",
};

export async function main(): Promise<string> {
  await ready;
  const visitor = new Visitor(options);
  const off: () => void = visitor.on("session", ({ session, source }) => {
    const s: Session = session;
    const where: "network" | "cache" | "tab" = source;
    const server: Date | null = s.serverExpiresAt;
    console.log(s.visitorId, s.expiresAt.getTime(), server?.getTime(), s.expiresIn, s.visitorGlobalId ?? "", where);
  });
  visitor.on("identitychange", ({ previousVisitorId, visitorId }) => console.log(previousVisitorId?.length, visitorId?.length));
  visitor.on("error", (error: VisitorError) => {
    const code: VisitorErrorCode = error.code;
    console.log(code, error.status ?? 0, error.message);
  });
  visitor.on("storage", ({ reason, message, kind }) => {
    const code: "unavailable" | "quota" | "security" | "changed" = reason;
    console.log(code, message.length, kind);
  });
  // An optional option given as null takes its default.
  new Visitor({ organizationId: options.organizationId, apiBaseUrl: null, storage: null, storageKeyPrefix: null, autoRenew: null, renewBeforeSeconds: null, requestTimeoutMs: null, allowedOrigins: null, onSecretRejected: null });
  try {
    new Visitor({ organizationId: "x" });
  } catch (error) {
    if (error instanceof VisitorError) {
      const code: VisitorErrorCode = error.code;
      console.log(code, error.status);
    }
  }
  off();
  // Real-time channels: a channel's changes, the socket's state, a resync, a refused channel.
  const unsubscribe: () => void = visitor.subscribe(`/api/v5/public/visitors/${visitor.visitorId}/chats`, (change: Change) => {
    const action: "added" | "changed" | "removed" = change.action;
    const id: string | null = change.resourceId;
    console.log(change.channel, action, id, change.resource?.["id"]);
  });
  visitor.on("realtime", ({ state, channels }) => {
    const s: "connecting" | "open" | "closed" = state;
    console.log(s, channels.toFixed());
  });
  visitor.on("resync", ({ channels, since }) => console.log(channels, since.getTime()));
  visitor.on("error", (error) => console.log(error.code === "channel_refused" ? error.channel?.length : error.status));
  unsubscribe();
  const session = await visitor.authenticate();
  await visitor.authenticate({ force: true });
  const token: string = await visitor.getAccessToken({ minValidity: 30 });
  const response: Response = await visitor.fetch(`/api/v5/public/orgs/${visitor.organizationId}/rooms/x`, { method: "GET" });
  const expires: Date | null = visitor.expiresAt;
  const id: string | null = visitor.visitorId;
  const authenticated: boolean = visitor.isAuthenticated;
  const current: Session | null = visitor.session;
  await visitor.setStorage("memory");
  const kind: "local" | "session" | "memory" = visitor.storageKind;
  console.log(kind);
  await visitor.forget();
  visitor.stop();
  {
    using disposable = new Visitor({ organizationId: options.organizationId });
    console.log(disposable.organizationId);
  }
  return [session.accessToken, token, response.status, expires, id, authenticated, current, visitor.socketUrl, visitor.accessToken].join();
}
