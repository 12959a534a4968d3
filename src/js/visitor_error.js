// `VisitorError`, the SDK's one error class (SPEC §1): declared in JS so that a page can write
// `error instanceof VisitorError` (a Rust type cannot extend `Error`). The Rust side makes every
// instance (src/js/error.rs); the package entry and the embed export this very class.
export class VisitorError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = "VisitorError";
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}
