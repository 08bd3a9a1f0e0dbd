//! Which files of a directory `check DIR` reads as scenarios.

use std::path::{Path, PathBuf};

/// A directory's scenario files, its `*.json` files in name order, and
/// the other files in it (`.yaml`, `.yml`, `.txt`, a `consumer.properties`
/// ...), in name order too, which `check` names as skipped rather than
/// passing over in silence: a YAML scenario left out of a CI gate unseen
/// is a gate that checks less than its author thinks.
///
/// Hidden files (an editor's `.x.json.swp`, `.gitkeep`) and subdirectories
/// are neither read nor named: the walk is not recursive.
pub fn list_dir(dir: &Path) -> std::io::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut json = Vec::new();
    let mut skipped = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden || !path.is_file() {
            continue;
        }
        match path.extension().is_some_and(|x| x == "json") {
            true => json.push(path),
            false => skipped.push(path),
        }
    }
    json.sort();
    skipped.sort();
    Ok((json, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_files_are_read_and_the_other_files_named() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.json", "a.json", "c.yaml", "notes.txt", ".a.json.swp", "d.JSON"] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.json")).unwrap();
        let (json, skipped) = list_dir(dir.path()).unwrap();
        let names = |v: &[PathBuf]| -> Vec<String> {
            v.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect()
        };
        assert_eq!(names(&json), ["a.json", "b.json"]);
        assert_eq!(names(&skipped), ["c.yaml", "d.JSON", "notes.txt"]);
    }
}
