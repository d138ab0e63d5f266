//! Reproductions of published experiments, each with its own model on purpose (they follow the
//! paper's definitions, not the simulator's).
//!
//! | module | experiment |
//! |---|---|
//! | [`fgd`] | the openb experiment of "Beware of Fragmentation" (FGD, USENIX ATC'23) |

pub mod fgd;
