//! The engine stays pure: its dependency list is exactly this small set. A new dependency is a
//! design decision (ARCHITECTURE.md, "The engine's dependencies"), not an accident; add it here
//! together with the reason there.

#![allow(clippy::unwrap_used)]

/// What the engine may depend on, and why.
const ALLOWED: &[(&str, &str)] = &[
    ("serde", "result and settings types serialise (presets, result JSON)"),
    (
        "serde_json",
        "the result JSON schema of SEMANTICS.md is written by the engine",
    ),
    ("thiserror", "error enums"),
    ("chrono", "timestamps to and from ISO text at the edges"),
    ("libc", "madvise hints on large result buffers (Linux)"),
];

/// Never in the engine, directly or through another crate.
const FORBIDDEN: &[&str] = &[
    "polars",
    "egui",
    "eframe",
    "egui_plot",
    "rhai",
    "tungstenite",
    "notify",
    "rfd",
    "ron",
    "pyo3",
];

fn manifest_dependencies() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let mut in_deps = false;
    let mut deps = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            deps.push(name.to_owned());
        }
    }
    deps
}

#[test]
fn engine_depends_only_on_the_allowed_crates() {
    let deps = manifest_dependencies();
    assert!(!deps.is_empty(), "no [dependencies] read from the engine's Cargo.toml");
    for d in &deps {
        assert!(
            ALLOWED.iter().any(|(name, _)| name == d),
            "ml4t-engine depends on `{d}`, which is not in the allowed list: the engine stays free of \
             data-frame, GUI, script, network and file-format crates (see ARCHITECTURE.md)"
        );
        assert!(
            !FORBIDDEN.contains(&d.as_str()),
            "ml4t-engine must never depend on `{d}`"
        );
    }
}

#[test]
fn engine_lock_graph_has_no_heavy_crate() {
    // Transitive check over Cargo.lock: walk the engine's dependency graph.
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).unwrap();
    let mut graph: std::collections::HashMap<String, Vec<String>> = Default::default();
    for block in lock.split("[[package]]") {
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .map(|n| n.trim_end_matches('"').to_owned());
        let Some(name) = name else { continue };
        let deps: Vec<String> = block
            .split("dependencies = [")
            .nth(1)
            .map(|d| d.split(']').next().unwrap_or_default())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"'))
            .map(|l| {
                l.trim_end_matches(['"', ','])
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        graph.entry(name).or_default().extend(deps);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec!["ml4t-engine".to_owned()];
    while let Some(n) = todo.pop() {
        if seen.insert(n.clone()) {
            todo.extend(graph.get(&n).cloned().unwrap_or_default());
        }
    }
    assert!(seen.len() > 1, "ml4t-engine not found in Cargo.lock");
    for bad in FORBIDDEN {
        assert!(
            !seen.contains(*bad),
            "ml4t-engine reaches `{bad}` through its dependencies: {seen:?}"
        );
    }
}
