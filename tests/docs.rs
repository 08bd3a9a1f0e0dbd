//! The documents say what the code is: the README's property table lists
//! the registry's properties, and every repository path that
//! `docs/ARCHITECTURE.md` names (its "adding a mechanism" list included)
//! exists, and the README's cost growth table is the latest benchmark's.

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

/// The first table after `heading` in `doc`: its lines.
fn first_table<'a>(doc: &'a str, heading: &str) -> Vec<&'a str> {
    let section = doc.split(heading).nth(1).unwrap_or_else(|| panic!("a `{heading}` section"));
    section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).collect()
}

#[test]
fn the_readme_shows_the_cost_growth_table_of_the_latest_benchmark() {
    let bench = std::fs::read_to_string("reports/bench.md").expect("reports/bench.md");
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let measured = first_table(&bench, "## Cost growth");
    assert!(measured.len() > 2, "the benchmark's cost growth table has rows");
    assert_eq!(
        first_table(&readme, "### What a bigger question costs"),
        measured,
        "copy the table under `## Cost growth` of reports/bench.md into the README"
    );
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

/// GitHub's anchor of a Markdown heading: lower case, punctuation but `-`
/// and `_` dropped, spaces to `-`.
fn anchor(heading: &str) -> String {
    let text = heading.trim_start_matches('#').trim().to_lowercase();
    text.chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .collect::<String>()
        .replace(' ', "-")
}

/// The headings' anchors of a Markdown file, outside code blocks.
fn anchors(doc: &str) -> Vec<String> {
    let mut fenced = false;
    let mut found = Vec::new();
    for line in doc.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.push(anchor(line));
        }
    }
    found
}

/// Every `](target)` of a Markdown file that is not a web address.
fn local_links(doc: &str) -> Vec<String> {
    doc.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|t| !t.starts_with("http") && !t.contains(' '))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_link_between_the_documents_reaches_a_file_and_a_heading() {
    let docs =
        ["README.md", "docs/ARCHITECTURE.md", "docs/MECHANISMS.md", "docs/TESTING.md", "docs/PERFORMANCE.md"];
    let mut broken = Vec::new();
    for doc in docs {
        let text = std::fs::read_to_string(doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
        let dir = Path::new(doc).parent().unwrap();
        for link in local_links(&text) {
            let (file, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() { Path::new(doc).to_path_buf() } else { dir.join(file) };
            if !target.exists() {
                broken.push(format!("{doc}: {link}: no such file"));
            } else if !fragment.is_empty() {
                let body = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&body).iter().any(|a| a == fragment) {
                    broken.push(format!("{doc}: {link}: no such heading"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The README's first section after "Start here" is the quick start, and
/// every `kafkacheck check` command in it runs and meets its expectations,
/// so a newcomer's first commands work as written.
#[test]
fn the_readme_quick_start_comes_first_and_its_commands_pass() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let headings: Vec<&str> = readme.lines().filter(|l| l.starts_with("## ")).take(2).collect();
    assert_eq!(headings.first().copied(), Some("## Start here"));
    assert!(headings.get(1).is_some_and(|h| h.starts_with("## Quick start")), "{headings:?}");
    let quick = readme.split("## Quick start").nth(1).unwrap().split("\n## ").next().unwrap();
    let commands: Vec<&str> = quick.lines().filter(|l| l.starts_with("kafkacheck check ")).collect();
    assert!(commands.len() >= 2, "the quick start checks a model file and a consumer's config: {commands:?}");
    for command in commands {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kafkacheck"))
            .args(&args)
            .output()
            .expect("run kafkacheck");
        assert!(out.status.success(), "`{command}`: {}", String::from_utf8_lossy(&out.stderr));
    }
}
