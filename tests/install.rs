//! What a user installs: `cargo install --no-default-features` builds
//! `check` and `explore` without the `live` feature, so librdkafka (a C
//! build) is not in the dependency graph, and the README's CI job installs
//! that way from a path, with no placeholder address. (`.ci/run` builds the
//! crate without default features, so the build itself is checked there.)

use std::process::Command;

/// `cargo tree`'s answer to "what depends on `package`", offline.
fn who_needs(package: &str, default_features: bool) -> (bool, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["tree", "--locked", "--offline", "--edges", "normal", "--invert", package]);
    if !default_features {
        cmd.arg("--no-default-features");
    }
    let out = cmd.output().expect("run cargo tree");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success() && !text.contains("did not match any packages"), text)
}

#[test]
fn without_default_features_librdkafka_is_not_built() {
    let (with, text) = who_needs("rdkafka-sys", true);
    assert!(with && text.contains("kafkacheck"), "the default build has live, through rdkafka: {text}");
    let (without, text) = who_needs("rdkafka-sys", false);
    assert!(!without, "--no-default-features still pulls librdkafka in: {text}");
}

#[test]
fn the_readme_ci_job_installs_from_a_path_without_live() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let section = readme.split("## CI integration").nth(1).expect("a CI integration section");
    let section = section.split("\n## ").next().unwrap();
    let installs: Vec<&str> = section.lines().filter(|l| l.contains("cargo install")).collect();
    assert!(!installs.is_empty(), "the CI job installs kafkacheck");
    for line in installs {
        assert!(line.contains("--no-default-features") && line.contains("--path"), "{line}");
        assert!(!line.contains("your-org") && !line.contains("$KAFKACHECK_GIT"), "a placeholder: {line}");
    }
}
