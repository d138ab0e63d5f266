//! YAML errors worded for users: the YAML library's own wording gives advice to programmers
//! ("set DuplicateKeyPolicy in Options", "use Option<String>", "use from_str_multiple"); this
//! renders the same error (line, column and excerpt included) with the library's user-facing
//! wording instead.
//!
//! A leaf module (the YAML library only): every layer may use it.

/// The error as a user should read it. Its snippet header names the text `<input>`: use
/// [`message_in`] when the file is known.
pub fn message(e: &serde_saphyr::Error) -> String {
    e.render_with_formatter(&serde_saphyr::UserMessageFormatter)
}

/// [`message`], with the snippet header naming `source` (the file) instead of `<input>`.
pub fn message_in(e: &serde_saphyr::Error, source: &str) -> String {
    e.render_with_options(serde_saphyr::render_options! {
        formatter: &serde_saphyr::UserMessageFormatter,
        source_name: Some(source),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse<T: serde::de::DeserializeOwned>(text: &str) -> String {
        message(&serde_saphyr::from_str::<T>(text).err().unwrap())
    }

    #[test]
    fn library_advice_for_programmers_never_reaches_users() {
        for (text, m) in [
            (
                "a: 1\na: 2\n",
                parse::<BTreeMap<String, u32>>("a: 1\na: 2\n"),
            ),
            ("a: ~\n", parse::<BTreeMap<String, String>>("a: ~\n")),
            (
                "a: 1\n---\na: 2\n",
                parse::<BTreeMap<String, u32>>("a: 1\n---\na: 2\n"),
            ),
        ] {
            for internal in [
                "DuplicateKeyPolicy",
                "Options",
                "Option<",
                "from_str_multiple",
            ] {
                assert!(!m.contains(internal), "{text:?}: {m}");
            }
            // The position is kept.
            assert!(m.contains("line "), "{text:?}: {m}");
        }
        assert!(parse::<BTreeMap<String, u32>>("a: 1\na: 2\n").contains("duplicate mapping key"),);
    }

    #[test]
    fn snippets_name_the_file_not_input() {
        // Issue 16: parse-error snippets said `<input>` instead of the file.
        let e = serde_saphyr::from_str::<BTreeMap<String, u32>>("a: 1\nb: x\n").unwrap_err();
        let m = message_in(&e, "scenarios/mine.yaml");
        assert!(m.contains("scenarios/mine.yaml:2:"), "{m}");
        assert!(!m.contains("<input>"), "{m}");
    }
}
