//! The documents say what the code is: the README's property table lists
//! the registry's properties, and every repository path that
//! `docs/ARCHITECTURE.md` names (its "adding a mechanism" list included)
//! exists.

use kafkacheck::properties::ALL;
use std::path::Path;

/// The `| `name` | kind | ... |` rows of the README's "### Properties" table.
fn readme_property_rows() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let section = readme.split("### Properties").nth(1).expect("a Properties section");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_string(), cells.get(2)?.to_string()))
        })
        .collect()
}

#[test]
fn the_readme_lists_every_property_of_the_registry_in_order() {
    let registry: Vec<(String, String)> =
        ALL.iter().map(|p| (p.name.to_string(), format!("{:?}", p.kind).to_lowercase())).collect();
    assert_eq!(readme_property_rows(), registry);
}

/// Every `src/…`, `tests/…`, `models/…` or `docs/…` path in backquotes or a
/// Markdown link of the architecture document.
fn paths_named(doc: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for piece in doc.split(['`', '(', ')', ' ', '\n']) {
        let piece = piece.trim_start_matches("../").trim_end_matches([',', '.', ':', ';']);
        let rooted = ["src/", "tests/", "models/", "docs/"].iter().any(|r| piece.starts_with(r));
        if rooted && !piece.contains('*') && !piece.contains('<') {
            paths.push(piece.to_string());
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn every_path_the_architecture_document_names_exists() {
    let doc = std::fs::read_to_string("docs/ARCHITECTURE.md").expect("docs/ARCHITECTURE.md");
    let paths = paths_named(&doc);
    assert!(paths.len() >= 30, "the document names the files it describes: {paths:?}");
    let missing: Vec<&String> = paths.iter().filter(|p| !Path::new(p.as_str()).exists()).collect();
    assert!(missing.is_empty(), "docs/ARCHITECTURE.md names files that do not exist: {missing:?}");
}

#[test]
fn the_path_finder_sees_links_and_code_spans() {
    let found = paths_named("see [`Choice`](../src/model/choice.rs), `src/trace/json.rs`: and models/*.json");
    assert_eq!(found, ["src/model/choice.rs", "src/trace/json.rs"]);
}
