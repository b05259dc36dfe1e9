// Writing wasm binaries: the encodings (LEB128, names, limits) and section replacement that the
// module rewrites (static-link.ts, module-globals.ts) share.
import type { Limits, Section } from "./wasm-reader.js";

const utf8Encoder = new TextEncoder();

export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

export function encodeName(text: string): number[] {
  const b = utf8Encoder.encode(text);
  return [...uleb(b.length), ...b];
}

export function encodeLimits(l: Limits): number[] {
  const flags = (l.max !== undefined ? 1 : 0) | (l.shared ? 2 : 0);
  return [flags, ...uleb(l.min), ...(l.max !== undefined ? uleb(l.max) : [])];
}

/** `bytes` with some sections' payloads replaced (by section id; null drops the section). */
export function replaceSections(bytes: Uint8Array, sections: Section[], bodies: Map<number, number[] | null>): Uint8Array {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const s of sections) {
    const body = s.id === 0 ? undefined : bodies.get(s.id);
    if (body === null) continue;
    if (body) parts.push(new Uint8Array([s.id, ...uleb(body.length), ...body]));
    else parts.push(bytes.subarray(s.start, s.end));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
