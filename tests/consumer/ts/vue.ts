// A Vue app's use of giosg-visitor/vue under `tsc --strict`: must type-check.
import { computed, defineComponent, h, ref } from "vue";
import { useVisitor } from "giosg-visitor/vue";
import type { VisitorRefs, VisitorStatus } from "giosg-visitor/vue";

export const Badge = defineComponent({
  setup() {
    const consented = ref(false);
    // A getter: `storage` follows the answer.
    const refs: VisitorRefs = useVisitor(() => ({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1", storage: consented.value ? "local" : "memory" }));
    const { visitor, session, visitorId, storageKind, status, error } = refs;
    const label = computed(() => {
      const now: VisitorStatus = status.value;
      if (now === "error") return `giosg: ${error.value?.code ?? ""}`;
      return now === "authenticated" ? `Visitor ${visitorId.value} (${storageKind.value}), token until ${session.value?.expiresAt.toISOString()}` : "Connecting…";
    });
    const openRoom = async () => {
      const response = await visitor.value?.fetch(`/api/v5/public/orgs/${visitor.value.organizationId}/rooms/a-room`);
      return response?.status;
    };
    return () => h("p", { onClick: openRoom }, label.value);
  },
});

// A plain object, or a ref of one.
export function plain() {
  return useVisitor({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1" }).visitorId.value?.length;
}
export function ofRef() {
  return useVisitor(ref({ organizationId: "e6a08f51-c250-4074-847b-58d444dbbeb1", storage: "session" as const })).status.value;
}
