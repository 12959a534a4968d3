//! The shipped build's allocator: power-of-two size classes, each with a free list, carved from
//! memory that `memory.grow` adds and never gives back.
//!
//! The SDK allocates little and in a steady pattern (a few strings and vectors per renewal), so
//! blocks freed by one renewal are the blocks the next one takes: memory stays flat, and the code
//! is a fraction of a general-purpose allocator's. A block wastes at most half its size.
//!
//! The logic is target-independent and host-tested with an arena; `shipped` gives it wasm pages.

/// Bytes per page handed out by the memory source (wasm pages are 64 KiB).
pub const PAGE: usize = 64 * 1024;

/// Smallest block: room for the free list's link.
const MIN_CLASS: u32 = 3;
const CLASSES: usize = usize::BITS as usize;

pub struct Heap {
    /// Head of each class's free list (0: empty). A free block holds the next block's address.
    free: [usize; CLASSES],
    /// The unused part of the last region: `next..end`.
    next: usize,
    end: usize,
}

impl Heap {
    pub const fn new() -> Self {
        Self { free: [0; CLASSES], next: 0, end: 0 }
    }

    /// The size class of a request: log2 of its block size, or `None` if no block can hold it.
    fn class(size: usize, align: usize) -> Option<u32> {
        let block = size.max(align).checked_next_power_of_two()?;
        Some(block.trailing_zeros().max(MIN_CLASS))
    }

    /// A block for `size` bytes aligned to `align` (a power of two), or 0 when memory runs out.
    /// `grow(pages)` adds pages of memory and returns their start address, or `None`.
    ///
    /// # Safety
    /// Addresses given out by `grow` must be writable memory owned by this heap.
    pub unsafe fn alloc(&mut self, size: usize, align: usize, grow: impl FnOnce(usize) -> Option<usize>) -> usize {
        let Some(class) = Self::class(size, align) else { return 0 };
        let Some(list) = self.free.get_mut(class as usize) else { return 0 };
        if *list != 0 {
            let head = *list;
            // SAFETY: a free block's first word holds the next free block (written by `dealloc`).
            *list = unsafe { (head as *const usize).read() };
            return head;
        }
        let block = 1usize << class;
        // Blocks are aligned to their size (up to a page), so any alignment up to the size holds.
        let align = block.min(PAGE);
        let mut start = (self.next + align - 1) & !(align - 1);
        if start.checked_add(block).map_or(true, |end| end > self.end) {
            let pages = block.div_ceil(PAGE);
            let Some(region) = grow(pages) else { return 0 };
            if region != self.end {
                self.next = region;
            }
            self.end = region + pages * PAGE;
            start = (self.next + align - 1) & !(align - 1);
            if start + block > self.end {
                return 0;
            }
        }
        self.next = start + block;
        start
    }

    /// Takes back a block of `alloc(size, align)`.
    ///
    /// # Safety
    /// `ptr` must come from `alloc` with the same `size` and `align`, and not be used again.
    pub unsafe fn dealloc(&mut self, ptr: usize, size: usize, align: usize) {
        let Some(list) = Self::class(size, align).and_then(|class| self.free.get_mut(class as usize)) else { return };
        // SAFETY: the block is at least a word long and aligned to a word (MIN_CLASS).
        unsafe { (ptr as *mut usize).write(*list) };
        *list = ptr;
    }

    /// Whether a block for `old_size` also holds `new_size` (so `realloc` can keep it).
    pub fn fits(old_size: usize, new_size: usize, align: usize) -> bool {
        Self::class(old_size, align) == Self::class(new_size, align)
    }
}

impl Default for Heap {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Memory for the tests: one large arena handed out a page range at a time.
    struct Arena {
        memory: Vec<u8>,
        used: usize,
    }

    impl Arena {
        fn new(pages: usize) -> Self {
            Self { memory: std::vec![0; (pages + 1) * PAGE], used: 0 }
        }
        fn grow(&mut self, pages: usize) -> Option<usize> {
            let base = (self.memory.as_ptr() as usize + PAGE - 1) & !(PAGE - 1);
            let limit = self.memory.as_ptr() as usize + self.memory.len();
            let start = base + self.used * PAGE;
            (start + pages * PAGE <= limit).then(|| {
                self.used += pages;
                start
            })
        }
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_reused() {
        let mut arena = Arena::new(64);
        let mut heap = Heap::new();
        let mut live: Vec<(usize, usize, usize, u8)> = Vec::new();
        let mut seed = 0x9e37_79b9u32;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for round in 0..20_000u32 {
            if live.len() > 40 || (!live.is_empty() && rand() % 3 == 0) {
                let (ptr, size, align, fill) = live.swap_remove(rand() as usize % live.len());
                // Nobody wrote over the block while it was live.
                let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, size) };
                assert!(bytes.iter().all(|&b| b == fill), "block overwritten");
                unsafe { heap.dealloc(ptr, size, align) };
            } else {
                let size = [1, 7, 8, 24, 100, 1000, 5000, 70_000][rand() as usize % 8];
                let align = [1, 4, 8, 16, 64][rand() as usize % 5];
                let ptr = unsafe { heap.alloc(size, align, |p| arena.grow(p)) };
                assert_ne!(ptr, 0, "out of memory at round {round}");
                assert_eq!(ptr % align, 0);
                let fill = round as u8;
                unsafe { std::ptr::write_bytes(ptr as *mut u8, fill, size) };
                live.push((ptr, size, align, fill));
            }
        }
        // A steady pattern does not keep growing: 64 pages were plenty.
        assert!(arena.used < 64);
    }

    #[test]
    fn freed_blocks_come_back_first() {
        let mut arena = Arena::new(4);
        let mut heap = Heap::new();
        let a = unsafe { heap.alloc(100, 8, |p| arena.grow(p)) };
        unsafe { heap.dealloc(a, 100, 8) };
        let b = unsafe { heap.alloc(120, 8, |p| arena.grow(p)) };
        assert_eq!(a, b, "same class, same block");
        assert!(Heap::fits(100, 128, 8) && !Heap::fits(100, 129, 8));
    }

    #[test]
    fn out_of_memory_and_impossible_sizes_give_null() {
        let mut arena = Arena::new(2);
        let mut heap = Heap::new();
        assert_eq!(unsafe { heap.alloc(usize::MAX, 8, |p| arena.grow(p)) }, 0);
        assert_eq!(unsafe { heap.alloc(3 * PAGE, 8, |p| arena.grow(p)) }, 0);
        assert_ne!(unsafe { heap.alloc(PAGE, 8, |p| arena.grow(p)) }, 0);
    }
}
