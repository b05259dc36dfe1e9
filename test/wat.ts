// A wasm binary from WebAssembly text, for tests that need a small hand-made module.
import binaryen from "binaryen";

export function watToWasm(text: string): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}
