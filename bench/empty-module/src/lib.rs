//! One `#[wasm_bindgen]` function and nothing else: what any SDK on wasm-bindgen loads before its
//! own code runs (bench/page/empty-module.html measures it until `init()` resolves).
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn answer() -> u32 {
    42
}
