//! `LocalCell`: a `RefCell` for the SDK's single-threaded state whose borrow conflict (a bug)
//! traps instead of panicking with a formatted message, which would link `core::fmt` into the
//! shipped build.

use core::cell::{Ref, RefCell, RefMut};

pub struct LocalCell<T>(RefCell<T>);

impl<T> LocalCell<T> {
    pub const fn new(value: T) -> Self {
        Self(RefCell::new(value))
    }

    pub fn borrow(&self) -> Ref<'_, T> {
        match self.0.try_borrow() {
            Ok(value) => value,
            Err(_) => conflict(),
        }
    }

    pub fn borrow_mut(&self) -> RefMut<'_, T> {
        match self.0.try_borrow_mut() {
            Ok(value) => value,
            Err(_) => conflict(),
        }
    }
}

/// A borrow while another is held: a bug of this crate, never input-driven.
#[cold]
fn conflict() -> ! {
    #[cfg(all(target_arch = "wasm32", not(feature = "std")))]
    core::arch::wasm32::unreachable();
    #[cfg(not(all(target_arch = "wasm32", not(feature = "std"))))]
    panic!("LocalCell borrowed while borrowed mutably");
}
