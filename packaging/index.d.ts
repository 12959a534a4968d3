export { Visitor } from "./web/giosg_visitor.js";
export type {
  VisitorOptions,
  Session,
  VisitorError,
  VisitorErrorCode,
  VisitorEventMap,
  SessionEventDetail,
  IdentityChangeEventDetail,
  StorageEventDetail,
} from "./web/giosg_visitor.js";

/** Resolves once the WebAssembly module is loaded and `Visitor` can be constructed. */
export declare const ready: Promise<void>;
