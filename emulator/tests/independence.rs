//! The oracle must share nothing with the bridge it checks: no dependency on `b24bridge`,
//! direct or renamed, in any dependency table of this crate's manifest.

#[test]
fn the_manifest_does_not_depend_on_the_bridge() {
    let manifest = include_str!("../Cargo.toml");
    let mut section = String::new();
    for raw in manifest.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_string();
            continue;
        }
        if !section.contains("dependencies") {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        assert!(
            !lower.contains("b24bridge")
                && !lower.contains("path = \"..\"")
                && !lower.contains("path=\"..\""),
            "emulator/Cargo.toml [{section}] must not depend on the bridge: {raw}"
        );
    }
    // and the bridge is not reachable through a `path` to the workspace root
    assert!(!manifest.contains("path = \"../\""));
}

#[test]
fn the_sources_do_not_name_the_bridge_crate() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(!files.is_empty());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(
            !text.contains("b24bridge::"),
            "{} uses the bridge crate",
            f.display()
        );
    }
}
