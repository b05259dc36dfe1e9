//! rcalloc's contract for Rust modules linked against the allocator at load time (README "From
//! Rust"): the imports from wasm module "rcalloc", the `site!()` macro, `RcHandle` (one
//! reference whose `Clone` is a get and whose `Drop` is a put) and `Malloc` (std's heap on
//! rcalloc, as a `#[global_allocator]`). Include it as a module:
//!
//!     #[path = "../node_modules/rcalloc/include/rcalloc.rs"]
//!     mod rcalloc;
//!
//! and build a cdylib: `no_std`, or std with `Malloc` as its global allocator (std's own would
//! start a second heap in the memory):
//!
//!     /usr/bin/rustc --target wasm32-unknown-unknown --crate-type cdylib -O --edition 2021 \
//!       -C link-arg=--import-memory -C link-arg=--global-base=65536 \
//!       -C link-arg=--export=__heap_base lib.rs -o app.wasm
//!
//! Sites (include/rcalloc.h has the full convention): `site!()` is the address of a static
//! "file.rs:42\0" with bit 31 set, so the checked build names the Rust line. `Clone` and `Drop`
//! cannot take the caller's line: they pass 0 and `rcalloc check` names them by the wasm stack;
//! `clone_at(site!())` and `put_at(site!())` record the line.
#![allow(dead_code)]

/// One reference to an object (nonzero); in the checked build each get returns a distinct value.
pub type Handle = u32;
/// Where a reference was taken or put: 0 unknown, else see `site!()`.
pub type Site = u32;

/// Bit 31 of a site id: the rest is the address of a NUL-terminated UTF-8 string.
pub const SITE_CSTRING: u32 = 0x8000_0000;

#[link(wasm_import_module = "rcalloc")]
extern "C" {
    #[link_name = "allocAt"]
    pub fn alloc_at(size: u32, site: Site) -> Handle;
    #[link_name = "getAt"]
    pub fn get_at(h: Handle, site: Site) -> Handle;
    #[link_name = "putAt"]
    pub fn put_at(h: Handle, site: Site);
    #[link_name = "resizeAt"]
    pub fn resize_at(h: Handle, size: u32, site: Site) -> Handle;
    #[link_name = "ptr"]
    pub fn ptr(h: Handle) -> *mut u8;
    #[link_name = "size"]
    pub fn size(h: Handle) -> u32;
    #[link_name = "refs"]
    pub fn refs(h: Handle) -> u32;
    #[link_name = "weakAt"]
    pub fn weak_at(h: Handle, site: Site) -> Handle;
    #[link_name = "upgradeAt"]
    pub fn upgrade_at(w: Handle, site: Site) -> Handle;
    #[link_name = "putWeakAt"]
    pub fn put_weak_at(w: Handle, site: Site);
    #[link_name = "mallocAt"]
    pub fn malloc_at(size: u32, site: Site) -> *mut u8;
    #[link_name = "freeAt"]
    pub fn free_at(ptr: *mut u8, site: Site);
    #[link_name = "reallocAt"]
    pub fn realloc_at(ptr: *mut u8, size: u32, site: Site) -> *mut u8;
}

/// The site of the line it is written on: a static "file.rs:42\0" string's address, bit 31 set.
#[macro_export]
macro_rules! site {
    () => {
        (concat!(file!(), ":", line!(), "\0").as_ptr() as u32) | $crate::rcalloc::SITE_CSTRING
    };
}

/// One reference to an rcalloc object: `Clone` takes another (get), `Drop` gives it back (put).
pub struct RcHandle {
    handle: Handle,
}

impl RcHandle {
    /// A new object of `size` bytes (contents undefined) holding this one reference.
    pub fn new(size: u32, site: Site) -> RcHandle {
        RcHandle { handle: unsafe { alloc_at(size, site) } }
    }

    /// Takes over a raw reference from `into_raw` (the count does not change).
    ///
    /// # Safety
    /// `handle` must be a live reference nothing else will put: adopting one twice is a double put.
    pub unsafe fn from_raw(handle: Handle) -> RcHandle {
        RcHandle { handle }
    }

    /// Hands the reference out as a raw handle, to be put once (or adopted back with `from_raw`).
    pub fn into_raw(self) -> Handle {
        let handle = self.handle;
        core::mem::forget(self);
        handle
    }

    /// Another reference, taken at `site`.
    pub fn clone_at(&self, site: Site) -> RcHandle {
        RcHandle { handle: unsafe { get_at(self.handle, site) } }
    }

    /// Gives the reference back at `site` (what `drop` does, with a site).
    pub fn put_at(self, site: Site) {
        unsafe { put_at(self.into_raw(), site) }
    }

    /// The payload: valid while this reference lives.
    pub fn as_ptr(&self) -> *mut u8 {
        unsafe { ptr(self.handle) }
    }

    pub fn size(&self) -> u32 {
        unsafe { size(self.handle) }
    }

    /// Live strong references to the object.
    pub fn refs(&self) -> u32 {
        unsafe { refs(self.handle) }
    }

    /// Same object? (Handles differ per reference in the checked build: compare payloads.)
    pub fn same_object(&self, other: &RcHandle) -> bool {
        self.as_ptr() == other.as_ptr()
    }
}

impl Clone for RcHandle {
    fn clone(&self) -> RcHandle {
        self.clone_at(0)
    }
}

impl Drop for RcHandle {
    fn drop(&mut self) {
        unsafe { put_at(self.handle, 0) }
    }
}

/// Rust's heap (Box, Vec, String, ...) on rcalloc's raw blocks: in a crate with std, declare
///
///     #[global_allocator]
///     static HEAP: rcalloc::Malloc = rcalloc::Malloc;
///
/// and std uses it instead of its own dlmalloc (which would grow the same memory as a second
/// heap). The checked build then reports leaked Boxes and Vecs with the wasm functions that made
/// them (site 0: Rust's allocator API carries no caller line). Alignments above 16 are refused
/// (null: Rust reports an allocation failure).
pub struct Malloc;

/// rcalloc's payload alignment.
const MALLOC_ALIGNMENT: usize = 16;

unsafe impl core::alloc::GlobalAlloc for Malloc {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        if layout.align() > MALLOC_ALIGNMENT {
            return core::ptr::null_mut();
        }
        malloc_at(layout.size() as u32, 0)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: core::alloc::Layout) {
        free_at(ptr, 0)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: core::alloc::Layout, new_size: usize) -> *mut u8 {
        if layout.align() > MALLOC_ALIGNMENT {
            return core::ptr::null_mut();
        }
        realloc_at(ptr, new_size as u32, 0)
    }
}
