// A session table: each login stores a reference to the user's profile in a list.
// BUG: logout() removes the session's profile reference from the list but never puts it: a
// leak, taken in login(). (One left in the list would not be: the list is a global's, so what it
// holds is still reachable, as LeakSanitizer counts it.)
// expect: exit 1, leak taken at the line marked //!
import { alloc, get, ptr, put } from "rcalloc/runtime/imports";

const profiles = new Array<u32>();
const ids = new Array<i32>();

function login(profile: u32, id: i32): void {
  profiles.push(get(profile)); //!
  ids.push(id);
}

function logout(id: i32): void {
  let at = ids.indexOf(id);
  if (at < 0) return;
  ids.splice(at, 1);
  profiles.splice(at, 1);
}

export function main(): i32 {
  let profile = alloc(48);
  store<i32>(ptr(profile), 1);
  login(profile, 1);
  login(profile, 2);
  logout(1);
  let last = profiles.pop(); // session 2's reference, given back
  put(last);
  put(profile);
  return ids.length;
}
