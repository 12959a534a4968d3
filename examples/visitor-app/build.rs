//! The Rust quick start, as the docs have it: the code block marked `<!-- quickstart: rust -->`
//! in the repository's README.md. It is written to `$OUT_DIR/quickstart.rs`, which `src/bin/quickstart.rs` includes as its whole code,
//! so that the harness runs the block exactly as a reader copies it.

use std::path::{Path, PathBuf};
use std::{env, fs};

const MARK: &str = "<!-- quickstart: rust -->\n```rust\n";

/// The marked block of `file`, if it has one.
fn block(file: &Path) -> Option<String> {
    let text = fs::read_to_string(file).ok()?.replace("\r\n", "\n");
    let start = text.find(MARK)? + MARK.len();
    let end = text[start..].find("\n```\n")?;
    Some(format!("{}\n", &text[start..start + end]))
}

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let source = dir.join("../../README.md");
    println!("cargo:rerun-if-changed={}", source.display());
    let code = block(&source).expect("README.md has no `<!-- quickstart: rust -->` block");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out.join("quickstart.rs"), &code).unwrap();
    fs::write(out.join("quickstart.from"), source.canonicalize().unwrap().display().to_string()).unwrap();
}
