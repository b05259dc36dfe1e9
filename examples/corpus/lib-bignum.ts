// Third-party code under check: as-bignum (npm), 128- and 256-bit integers.
// Correct: exit 0, no leak.
// expect: exit 0
import { u128, u256 } from "as-bignum/assembly/index";

export function main(): i32 {
  let a = u128.fromU64(0xffffffffffffffff);
  let b = a * u128.fromU64(3) + u128.One;
  let c = b / u128.fromU64(7);
  let big = u256.fromU128(c) + u256.fromU64(42);
  let text = c.toString() + ":" + b.toString(16);
  return text.length + <i32>(big.lo1 & 0xff);
}
