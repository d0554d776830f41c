//! Replays the fuzz corpus (`tests/fixtures/fuzz/TARGET/*`: seeds plus every crash or hang the
//! fuzzer found, once fixed) through the fuzz targets: none may panic, and a panic inside the
//! data reader must come back as an error naming the file. The fuzzer itself is
//! `cargo run --example fuzz -- TARGET` (RELIABILITY.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../examples/fuzz/targets.rs"]
#[allow(dead_code)]
mod targets;

use std::path::Path;

fn replay(target: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let scratch = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| targets::run(target, scratch.path(), &data));
        match outcome {
            Ok(Ok(_)) => {}
            // A panic inside the data reader, caught at the load boundary: an error naming the
            // file (the inputs named `caught-*` are such files the fuzzer found).
            Ok(Err(caught)) => assert!(
                caught.contains("fuzz.parquet") || caught.contains("fuzz.csv"),
                "{}: {caught}",
                file.display()
            ),
            Err(_) => panic!("{}: the {target} target panicked", file.display()),
        }
    }
}

#[test]
fn fuzz_corpus_csv() {
    replay("csv");
}

#[test]
fn fuzz_corpus_parquet() {
    replay("parquet");
}

#[test]
fn fuzz_corpus_preset() {
    replay("preset");
}

#[test]
fn fuzz_corpus_protocol() {
    replay("protocol");
}

#[test]
fn fuzz_corpus_script() {
    replay("script");
}
