//! The discrete-event engine: simulated time, an event queue ordered by (time, sequence) and
//! seeded random streams. It knows nothing about GPUs; the model defines its own event enum.

pub mod completion;
pub mod queue;
pub mod radix;
pub mod rng;

pub use queue::EventQueue;
pub use rng::{StreamRng, stream};
