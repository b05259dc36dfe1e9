// A minimal WASI (preview 1) for linked C, C++ and Rust modules: enough for printf debugging,
// clocks, random numbers and exit, in Node and in browsers. link() supplies it to a module that
// imports from "wasi_snapshot_preview1" when the caller passes no WASI of its own (node:wasi's
// `wasi.wasiImport` via `imports`, say). There is no file system: every other call fails with
// ENOSYS (or EBADF for a file descriptor other than stdout and stderr).
// Every address and length arrives as a wasm i32, signed in JS: each is read unsigned (>>> 0), so
// a module above 2 GiB prints as one below it, and a range outside the memory gets EFAULT, as
// from a real WASI, not a RangeError thrown through the module.

import { decodable } from "./views.js";

export const WASI_MODULE = "wasi_snapshot_preview1";

const ESUCCESS = 0;
const EBADF = 8;
const EFAULT = 21;
const EINVAL = 28;
const ENOSYS = 52;

/** The module called proc_exit (C's exit()): `code` is its status. */
export class WasiExitError extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`the module exited with status ${code}`);
    this.name = "WasiExitError";
    this.code = code;
  }
}

/**
 * The WASI imports for a module that uses `memory()`. Output to fd 1 and 2 goes, a line at a
 * time, to `write(fd, line)` (default: console.log and console.error).
 */
export function minimalWasi(
  memory: () => WebAssembly.Memory,
  write: (fd: number, line: string) => void = (fd, line) => (fd === 2 ? console.error(line) : console.log(line)),
): Record<string, (...args: number[]) => number> {
  const pending: Record<number, string> = { 1: "", 2: "" };
  const decoder = new TextDecoder();
  const view = () => new DataView(memory().buffer);
  /** True when [at, at + length) lies in the memory (both unsigned). */
  const inMemory = (at: number, length: number) => at + length <= memory().buffer.byteLength;
  const zeroCounts = (countPtr: number, sizePtr: number) => {
    countPtr >>>= 0;
    sizePtr >>>= 0;
    if (!inMemory(countPtr, 4) || !inMemory(sizePtr, 4)) return EFAULT;
    view().setUint32(countPtr, 0, true);
    view().setUint32(sizePtr, 0, true);
    return ESUCCESS;
  };
  const wasi: Record<string, (...args: number[]) => number> = {
    fd_write(fd, iovs, count, writtenPtr) {
      if (fd !== 1 && fd !== 2) return EBADF;
      iovs >>>= 0;
      count >>>= 0;
      writtenPtr >>>= 0;
      if (!inMemory(iovs, count * 8) || !inMemory(writtenPtr, 4)) return EFAULT;
      const v = view();
      const chunks: Uint8Array[] = [];
      let written = 0;
      for (let i = 0; i < count; i++) {
        const base = v.getUint32(iovs + i * 8, true);
        const length = v.getUint32(iovs + i * 8 + 4, true);
        if (!inMemory(base, length)) return EFAULT; // checked before anything is printed
        chunks.push(new Uint8Array(memory().buffer, base, length));
        written += length;
      }
      let text = "";
      for (const chunk of chunks) text += decoder.decode(decodable(chunk), { stream: true });
      const lines = (pending[fd] + text).split("\n");
      pending[fd] = lines.pop() ?? "";
      for (const line of lines) write(fd, line);
      v.setUint32(writtenPtr, written, true);
      return ESUCCESS;
    },
    fd_fdstat_get(fd, statPtr) {
      if (fd !== 1 && fd !== 2) return EBADF;
      statPtr >>>= 0;
      if (!inMemory(statPtr, 24)) return EFAULT;
      new Uint8Array(memory().buffer, statPtr, 24).fill(0);
      view().setUint8(statPtr, 2); // a character device: libc line-buffers it
      return ESUCCESS;
    },
    fd_close: () => EBADF,
    fd_seek: () => EBADF,
    fd_read: () => EBADF,
    fd_prestat_get: () => EBADF,
    fd_prestat_dir_name: () => EBADF,
    environ_sizes_get: zeroCounts,
    args_sizes_get: zeroCounts,
    environ_get: () => ESUCCESS,
    args_get: () => ESUCCESS,
    clock_time_get(clock, _precision, timePtr) {
      if (clock >>> 0 > 3) return EINVAL;
      timePtr >>>= 0;
      if (!inMemory(timePtr, 8)) return EFAULT;
      const ns = clock === 0 ? BigInt(Date.now()) * 1_000_000n : BigInt(Math.round(performance.now() * 1e6));
      view().setBigUint64(timePtr, ns, true);
      return ESUCCESS;
    },
    clock_res_get(_clock, resPtr) {
      resPtr >>>= 0;
      if (!inMemory(resPtr, 8)) return EFAULT;
      view().setBigUint64(resPtr, 1000n, true);
      return ESUCCESS;
    },
    random_get(buf, length) {
      buf >>>= 0;
      length >>>= 0;
      if (!inMemory(buf, length)) return EFAULT;
      const bytes = new Uint8Array(memory().buffer, buf, length);
      // getRandomValues refuses a view of shared memory (browsers): fill a private copy there.
      const target = bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(Math.min(length, 65536));
      for (let at = 0; at < length; at += 65536) {
        const n = Math.min(length - at, 65536);
        if (target === bytes) crypto.getRandomValues(bytes.subarray(at, at + n));
        else bytes.set(crypto.getRandomValues(target.subarray(0, n)), at);
      }
      return ESUCCESS;
    },
    sched_yield: () => ESUCCESS,
    proc_exit(code) {
      for (const fd of [1, 2]) if (pending[fd]) write(fd, pending[fd]);
      throw new WasiExitError(code >>> 0);
    },
  };
  return new Proxy(wasi, {
    // Any other WASI function: "not supported", so libc reports an error instead of a link failure.
    get: (target, name) => (typeof name === "string" && !(name in target) ? () => ENOSYS : target[name as string]),
  });
}
