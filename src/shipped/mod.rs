//! What the standard library would provide, for the shipped (`no_std`) build: the panic handler
//! and the global allocator.
//!
//! A panic is a bug in this crate (input from the network, storage and the page is never
//! unwrapped): it stops the module with a wasm trap, which the calling JS sees as a
//! `RuntimeError`. Nothing is formatted, so `core::fmt` and the panic messages stay out of the
//! binary.

use ::core::alloc::{GlobalAlloc, Layout};
use ::core::arch::wasm32;
use ::core::cell::UnsafeCell;

use crate::heap::{Heap, PAGE};

#[panic_handler]
fn panic(_: &::core::panic::PanicInfo) -> ! {
    wasm32::unreachable()
}

struct Allocator(UnsafeCell<Heap>);

// SAFETY: the shipped build is single-threaded wasm (no `atomics`): there is no other thread.
unsafe impl Sync for Allocator {}

fn grow(pages: usize) -> Option<usize> {
    let previous = wasm32::memory_grow(0, pages);
    (previous != usize::MAX).then(|| previous * PAGE)
}

// SAFETY: `Heap` hands out disjoint blocks of memory that `memory.grow` added for it alone.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: single-threaded, and no allocation happens while the heap is borrowed.
        unsafe { (*self.0.get()).alloc(layout.size(), layout.align(), grow) as *mut u8 }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { (*self.0.get()).dealloc(ptr as usize, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if Heap::fits(layout.size(), new_size, layout.align()) {
            return ptr;
        }
        // SAFETY: the caller guarantees `new_size` with `layout.align()` is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            unsafe {
                ::core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Allocator = Allocator(UnsafeCell::new(Heap::new()));
