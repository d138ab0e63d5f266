//! YAML errors worded for users: the YAML library's own wording gives advice to programmers
//! ("set DuplicateKeyPolicy in Options", "use Option<String>", "use from_str_multiple"); this
//! renders the same error (line, column and excerpt included) with the library's user-facing
//! wording instead.
//!
//! A leaf module (the YAML library only): every layer may use it.

/// The error as a user should read it.
pub fn message(e: &serde_saphyr::Error) -> String {
    e.render_with_formatter(&serde_saphyr::UserMessageFormatter)
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
}
