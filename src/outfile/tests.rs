use super::*;

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_committed_file_replaces_the_old_one_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.csv");
    std::fs::write(&p, "old\n").unwrap();
    let mut f = AtomicFile::create(&p).unwrap();
    f.write_all(b"new\n").unwrap();
    // Until the commit, the old file is what a reader sees, beside one temporary file.
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "old\n");
    assert_eq!(names(dir.path()).len(), 2);
    f.commit().unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "new\n");
    assert_eq!(names(dir.path()), vec!["out.csv"]);
}

#[test]
fn an_uncommitted_file_leaves_the_target_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.csv");
    std::fs::write(&p, "old\n").unwrap();
    {
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"half").unwrap();
    }
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "old\n");
    assert_eq!(names(dir.path()), vec!["out.csv"]);
    // A new target that was never committed does not appear at all.
    drop(AtomicFile::create(&dir.path().join("new.csv")).unwrap());
    assert_eq!(names(dir.path()), vec!["out.csv"]);
}

#[test]
fn directories_and_devices_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = write(dir.path(), b"x").unwrap_err();
    assert!(
        e.ends_with("not a regular file (a directory); give the path of a file to write"),
        "{e}"
    );
    if Path::new("/dev/null").exists() {
        let e = write(Path::new("/dev/null"), b"x").unwrap_err();
        assert_eq!(
            e,
            "/dev/null: not a regular file (a device); give the path of a file to write"
        );
    }
    assert!(names(dir.path()).is_empty());
}

#[test]
fn a_symbolic_link_is_written_through_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.csv");
    let link = dir.path().join("link.csv");
    std::fs::write(&real, "old\n").unwrap();
    std::os::unix::fs::symlink("real.csv", &link).unwrap();
    write(&link, b"new\n").unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "new\n");
    // A dangling link: the file it names is created.
    let dangling = dir.path().join("d.csv");
    std::os::unix::fs::symlink("made.csv", &dangling).unwrap();
    write(&dangling, b"x").unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("made.csv")).unwrap(),
        "x"
    );
    assert_eq!(
        names(dir.path()),
        vec!["d.csv", "link.csv", "made.csv", "real.csv"]
    );
}

// remove_temporaries() is global: its test is in tests/limits_cli.rs, a process of its own
// where no other test stages files.
