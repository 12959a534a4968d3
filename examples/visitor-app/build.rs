//! The Rust quick start, as the docs have it: the code block marked `<!-- quickstart: rust -->`
//! in the repository's README.md or, until it moves there, in examples/QUICKSTART-rust.md. It is
//! written to `$OUT_DIR/quickstart.rs`, which `src/bin/quickstart.rs` includes as its whole code,
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
    let sources = [dir.join("../../README.md"), dir.join("../QUICKSTART-rust.md")];
    for source in &sources {
        println!("cargo:rerun-if-changed={}", source.display());
    }
    let (source, code) = sources
        .iter()
        .find_map(|source| block(source).map(|code| (source, code)))
        .expect("no `<!-- quickstart: rust -->` block in README.md or examples/QUICKSTART-rust.md");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out.join("quickstart.rs"), &code).unwrap();
    fs::write(out.join("quickstart.from"), source.canonicalize().unwrap().display().to_string()).unwrap();
}
