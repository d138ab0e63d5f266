//! GPU models, MIG profiles and the MIG placement rules.
//!
//! The catalog is pure data plus a small exact solver: the rest of the simulator asks it which
//! GPU models exist, what each MIG profile looks like, and where the instances of a requested
//! layout sit on the 8 memory slices of a GPU. Everything here is deterministic and free of I/O.

mod builtin;
pub mod layout;
pub mod models;
pub mod products;
pub mod render;
mod validate;

#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod tests;

pub use layout::{LayoutError, Placement, enumerate, is_maximal, solve, solve_indices};
pub use models::{Catalog, GpuModel, MigProfile, price_is_placeholder};
pub use products::{
    ProductModel, model_for_pci, model_for_product, nearest_products, parse_pci_id, pci_ids_of,
    pci_name,
};
pub use render::{format_placements, render_layouts, slice_map};

/// Compute slices of a MIG-capable GPU (A100, H100, H200 class).
pub const MIG_COMPUTE_SLICES: u8 = 7;
/// Memory slices of a MIG-capable GPU; a GPU instance occupies a contiguous range of them.
pub const MIG_MEMORY_SLICES: u8 = 8;
