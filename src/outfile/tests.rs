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

/// Stages `text` for `target` as [`stage`] does; the (temporary, target) pair.
fn staged(target: &Path, text: &str) -> (PathBuf, PathBuf) {
    let (tmp, mut f) = stage(target).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    (tmp, target.to_path_buf())
}

#[test]
fn publish_all_replaces_every_target_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(dir.path().join("a.csv"), "old\n").unwrap();
    let files = [
        staged(&dir.path().join("a.csv"), "a\n"),
        staged(&dir.path().join("b.csv"), "b\n"),
        staged(&sub.join("c.csv"), "c\n"),
    ];
    publish_all(&files).unwrap();
    assert_eq!(names(dir.path()), vec!["a.csv", "b.csv", "sub"]);
    assert_eq!(names(&sub), vec!["c.csv"]);
    for (_, target) in &files {
        let name = target.file_name().unwrap().to_string_lossy();
        assert_eq!(
            std::fs::read_to_string(target).unwrap(),
            format!("{}\n", &name[..1])
        );
    }
    assert!(
        live()
            .files
            .iter()
            .all(|f| files.iter().all(|(t, _)| t != f))
    );
}

#[test]
fn publish_all_that_fails_to_rename_keeps_the_files_before_and_removes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    // The second target is a folder that is not empty: its rename fails.
    let blocked = dir.path().join("b.csv");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("keep"), "").unwrap();
    let files = [
        staged(&dir.path().join("a.csv"), "a\n"),
        staged(&blocked, "b\n"),
        staged(&dir.path().join("c.csv"), "c\n"),
    ];
    let e = publish_all(&files).unwrap_err();
    assert!(
        e.starts_with(&format!("{}: cannot write: ", blocked.display())),
        "{e}"
    );
    assert_eq!(names(dir.path()), vec!["a.csv", "b.csv"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.csv")).unwrap(),
        "a\n"
    );
    assert_eq!(names(&blocked), vec!["keep"]);
}
