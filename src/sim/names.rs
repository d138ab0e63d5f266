//! Names many jobs share (namespaces, ResourceQuota keys), kept once: a job holds a shared
//! handle, so making, copying and dropping a job's names allocates nothing, and reading them
//! at its record touches memory other jobs keep warm.

use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Default)]
pub struct Names {
    known: BTreeSet<Arc<str>>,
}

impl Names {
    /// The one shared copy of `name`.
    pub fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(n) = self.known.get(name) {
            return n.clone();
        }
        let n: Arc<str> = Arc::from(name);
        self.known.insert(n.clone());
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_copy_per_name() {
        let mut names = Names::default();
        let (a, b, c) = (names.get("ml"), names.get("res"), names.get("ml"));
        assert!(Arc::ptr_eq(&a, &c) && !Arc::ptr_eq(&a, &b));
        assert_eq!((&*a, &*b), ("ml", "res"));
    }
}
