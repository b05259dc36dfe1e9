// Reference-counted byte buffers in Rust on rcalloc (include/rcalloc.rs: RcHandle's Clone is a
// get, its Drop a put), with two seeded bugs in `unsafe` code for `rcalloc check`:
//
//   run_clean        clones and drops balance: exit 0
//   run_leak         a clone forgotten with mem::forget: exit 1, naming the clone_at line
//   run_double_drop  one raw handle adopted twice with from_raw: exit 2
#![no_std]

#[path = "../node_modules/rcalloc/include/rcalloc.rs"]
mod rcalloc;

use rcalloc::RcHandle;

/// A buffer of `len` bytes, each `fill`.
fn buffer(len: u32, fill: u8, site: u32) -> RcHandle {
    let b = RcHandle::new(len, site);
    unsafe { core::ptr::write_bytes(b.as_ptr(), fill, len as usize) };
    b
}

fn sum(b: &RcHandle) -> u32 {
    let bytes = unsafe { core::slice::from_raw_parts(b.as_ptr(), b.size() as usize) };
    bytes.iter().map(|&x| x as u32).sum()
}

#[no_mangle]
pub extern "C" fn run_clean() -> u32 {
    let a = buffer(16, 1, site!());
    let shared = [a.clone(), a.clone(), a.clone_at(site!())];
    let total: u32 = shared.iter().map(sum).sum();
    total + a.refs()
}

#[no_mangle]
pub extern "C" fn run_leak() -> u32 {
    let a = buffer(16, 2, site!());
    let extra = a.clone_at(site!()); // seeded leak: forgotten, so never put
    core::mem::forget(extra);
    sum(&a)
}

#[no_mangle]
pub extern "C" fn run_double_drop() -> u32 {
    let a = buffer(16, 3, site!());
    let raw = a.clone_at(site!()).into_raw(); // double drop: taken here
    let first = unsafe { RcHandle::from_raw(raw) };
    let total = sum(&first);
    first.put_at(site!()); // double drop: first put here
    let second = unsafe { RcHandle::from_raw(raw) }; // seeded double drop: adopts a put reference
    second.put_at(site!());
    total + sum(&a)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
