// The minimal WASI (bindings/wasi.ts) on hostile and large addresses: wasm passes every address as
// an i32, which JS sees signed, so one above 2 GiB arrives negative; a range outside the memory
// must get EFAULT, as from a real WASI, not a RangeError thrown through the module.
import { describe, expect, it } from "vitest";
import { minimalWasi } from "../bindings/wasi.js";

const EFAULT = 21;
const PAGE = 65536;

function printer(memory: WebAssembly.Memory) {
  const lines: string[] = [];
  const wasi = minimalWasi(() => memory, (fd, line) => lines.push(`${fd}:${line}`));
  return { wasi, lines };
}

/** Writes one iovec at `iovs` naming `text` at `base`; returns the text's length. */
function iovec(memory: WebAssembly.Memory, iovs: number, base: number, text: string): number {
  const bytes = new TextEncoder().encode(text);
  new Uint8Array(memory.buffer).set(bytes, base);
  const v = new DataView(memory.buffer);
  v.setUint32(iovs, base, true);
  v.setUint32(iovs + 4, bytes.length, true);
  return bytes.length;
}

describe("minimal WASI", () => {
  it("returns EFAULT for an iovec, text or result outside the memory, and prints nothing", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { wasi, lines } = printer(memory);
    iovec(memory, 16, 64, "hello\n");
    expect(wasi.fd_write(1, PAGE - 4, 1, 0)).toBe(EFAULT); // the iovec array runs past the end
    expect(wasi.fd_write(1, 16, 1, PAGE)).toBe(EFAULT); // the written count's word
    new DataView(memory.buffer).setUint32(20, PAGE, true); // the text's length runs past the end
    expect(wasi.fd_write(1, 16, 1, 0)).toBe(EFAULT);
    expect(wasi.fd_write(1, -8, 1, 0)).toBe(EFAULT); // 0xfffffff8 unsigned: far past a 64 KiB memory
    expect(wasi.fd_fdstat_get(1, PAGE - 8)).toBe(EFAULT);
    expect(wasi.clock_time_get(0, 0, PAGE - 4)).toBe(EFAULT);
    expect(wasi.clock_res_get(0, -1)).toBe(EFAULT);
    expect(wasi.random_get(PAGE - 8, 16)).toBe(EFAULT);
    expect(wasi.args_sizes_get(0, PAGE)).toBe(EFAULT);
    expect(lines).toEqual([]);
    expect(wasi.fd_write(1, 16, 1, 0)).toBe(EFAULT); // still refused: nothing was half done
    new DataView(memory.buffer).setUint32(20, 6, true);
    expect(wasi.fd_write(1, 16, 1, 0)).toBe(0);
    expect(lines).toEqual(["1:hello"]);
    expect(new DataView(memory.buffer).getUint32(0, true)).toBe(6);
  });

  it("reads addresses above 2 GiB unsigned: prints, stats, clocks and random bytes there", () => {
    const memory = new WebAssembly.Memory({ initial: 32768 + 2, maximum: 32768 + 2 });
    const { wasi, lines } = printer(memory);
    const high = 2 ** 31 + 64; // as wasm passes it: negative in JS
    const n = iovec(memory, high, high + 64, "above two GiB\n");
    expect(wasi.fd_write(2, high | 0, 1, (high + 32) | 0)).toBe(0);
    expect(lines).toEqual(["2:above two GiB"]);
    expect(new DataView(memory.buffer).getUint32(high + 32, true)).toBe(n);
    expect(wasi.fd_fdstat_get(1, (high + 256) | 0)).toBe(0);
    expect(new Uint8Array(memory.buffer)[high + 256]).toBe(2);
    expect(wasi.clock_time_get(1, 0, (high + 512) | 0)).toBe(0);
    expect(new DataView(memory.buffer).getBigUint64(high + 512, true)).toBeGreaterThan(0n);
    expect(wasi.random_get((high + 1024) | 0, 4096)).toBe(0);
    expect(new Uint8Array(memory.buffer, high + 1024, 4096).some((b) => b !== 0)).toBe(true);
  });

  it("fills random bytes into a shared memory (getRandomValues refuses shared views in browsers)", () => {
    const memory = new WebAssembly.Memory({ initial: 3, maximum: 3, shared: true });
    const { wasi } = printer(memory);
    expect(wasi.random_get(100, 3 * PAGE - 200)).toBe(0);
    const bytes = new Uint8Array(memory.buffer);
    expect(bytes.subarray(100, 200).some((b) => b !== 0)).toBe(true);
    expect(bytes.subarray(3 * PAGE - 200, 3 * PAGE - 100).some((b) => b !== 0)).toBe(true); // past 64 KiB chunks
    expect(bytes[99]).toBe(0);
    expect(bytes[3 * PAGE - 100]).toBe(0);
  });
});
