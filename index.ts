// AssemblyScript entry of the package: `import { alloc, get, put } from "rcalloc"` in an AS
// project resolves here (the same as "rcalloc/assembly"). JavaScript users get bindings/ instead.
export * from "./assembly/index";
