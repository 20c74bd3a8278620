//! The emulator is the bridge's oracle only while it shares no code with it: its crate must
//! never depend on the bridge, directly or through a path into the bridge's sources.

use std::path::Path;

/// Dependency tables of a Cargo manifest with the names and paths they list.
fn dependencies(manifest: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line.contains("dependencies");
            // `[dependencies.b24bridge]` names the dependency in the header itself.
            if let Some(name) = line
                .trim_matches(|c| c == '[' || c == ']')
                .split_once("dependencies.")
                .map(|(_, name)| name)
            {
                out.push((name.trim().to_owned(), line.to_owned()));
            }
            continue;
        }
        if in_deps && !line.starts_with('#') {
            if let Some((name, spec)) = line.split_once('=') {
                out.push((name.trim().to_owned(), spec.trim().to_owned()));
            }
        }
    }
    out
}

#[test]
fn the_emulator_crate_depends_on_nothing_of_the_bridge() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("emulator/Cargo.toml")).unwrap();
    let deps = dependencies(&manifest);
    assert!(
        deps.iter().any(|(name, _)| name == "serde_json"),
        "the manifest was read: {deps:?}"
    );
    for (name, spec) in &deps {
        assert!(
            !name.starts_with("b24bridge") && !spec.contains("b24bridge"),
            "the emulator depends on the bridge: {name} = {spec}"
        );
        if let Some(path) = spec.split("path").nth(1) {
            assert!(
                !path.contains(".."),
                "the emulator reaches outside its crate: {name} = {spec}"
            );
        }
    }
    // Nor does its code name the bridge's modules.
    for entry in walk(&root.join("emulator/src")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(
            !text.contains("b24bridge::") && !text.contains("#[path"),
            "{} reaches into the bridge",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_check_would_see_a_dependency_on_the_bridge() {
    let bad = "[dependencies]\nserde_json = \"1\"\nb24bridge = { path = \"..\" }\n";
    assert!(dependencies(bad).iter().any(|(n, _)| n == "b24bridge"));
    let bad = "[dev-dependencies.b24bridge]\npath = \"..\"\n";
    assert!(dependencies(bad).iter().any(|(n, _)| n == "b24bridge"));
}
