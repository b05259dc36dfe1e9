// The Benchmarks Game's binary-trees (https://benchmarksgame-team.pages.debian.net/benchmarksgame/
// description/binarytrees.html), with classes, as an ordinary AssemblyScript program: no
// allocator calls of its own, so it builds unchanged for every runtime (bench/as-programs.js).
//
// run(maxDepth, shift): a stretch tree of depth maxDepth + 1, a long-lived tree of maxDepth kept
// across the loop, then 2^(maxDepth - d + 4 - shift) trees of each depth d = 4, 6, ... maxDepth,
// each built and checked. shift 0 is the Benchmarks Game's program; a larger shift runs 1/2^shift
// of its loop (at least one tree a depth), so depth 20 fits a benchmark round while its stretch
// and long-lived trees keep full size (2^22 and 2^21 nodes). Returns the sum of every check.

class TreeNode {
  constructor(public left: TreeNode | null, public right: TreeNode | null) {}

  check(): i32 {
    let left = this.left;
    let right = this.right;
    return left && right ? 1 + left.check() + right.check() : 1;
  }
}

function bottomUp(depth: i32): TreeNode {
  return depth > 0 ? new TreeNode(bottomUp(depth - 1), bottomUp(depth - 1)) : new TreeNode(null, null);
}

export function run(maxDepth: i32, shift: i32): u32 {
  let total: u32 = <u32>bottomUp(maxDepth + 1).check();
  let longLived = bottomUp(maxDepth);
  for (let depth = 4; depth <= maxDepth; depth += 2) {
    let iterations = 1 << max(0, maxDepth - depth + 4 - shift);
    let check: u32 = 0;
    for (let i = 0; i < iterations; i++) check += <u32>bottomUp(depth).check();
    total += check;
  }
  return total + <u32>longLived.check();
}
