"use client";
// giosg-visitor/react as a React Server Component imports it (the `react-server` condition of
// package.json's exports, which Next.js's App Router resolves Server Components with): the same
// binding, marked as the boundary of a Client Component, so that a Server Component (a root
// layout) can render `<VisitorProvider>`. Everywhere else `giosg-visitor/react` is react.js
// itself, without the directive, which bundlers that do not know it (Vite, Rollup) warn about.
// Named exports: a client boundary may not `export *`.
export { VisitorProvider, useVisitor } from "./react.js";
