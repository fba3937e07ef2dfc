//! Reads a system's infrastructure code into an [`Inventory`]: the components it deploys (with a
//! technology guessed from images and resource types), the zones they sit in, what the internet
//! reaches, the flows the code shows, and the controls it turns on or off. Every guess carries
//! where it came from.
//!
//! From the inventory, [`draft_model`] writes a model a team starts from (`threatforge init
//! --from`), and [`drift`] compares it with a model the team keeps (`threatforge drift`).
//!
//! Sources, one module each: Docker Compose files (`compose.rs`), Kubernetes manifests as
//! written or as `helm template` and `kustomize build` print them (`k8s.rs`), Terraform's
//! `terraform show -json` output of a plan or a state (`terraform.rs`, which maps the resources
//! of both Terraform readers), and Terraform source (`hcl.rs`); security groups and IAM read
//! over the mapped resources (`aws.rs`), and Azure network security groups (`azure.rs`).
//! Nothing is evaluated: no template is rendered, no Terraform function run; rendered output is
//! an input.
//!
//! Input is untrusted: paths are confined to the roots given ([`scan`]), files are read to a cap,
//! YAML within the loader's budgets, and every walk is linear in the input.

mod aws;
mod azure;
mod compose;
mod draft;
mod drift;
mod error;
mod hcl;
mod inventory;
mod k8s;
mod render;
mod resource;
mod scan;
mod terraform;
mod text;

pub use draft::draft_model;
pub use drift::{Drift, DriftItem, DriftKind, drift};
pub use error::IacError;
pub use inventory::{Evidence, Found, Gate, Inventory, Judges, Link, Origin, Source, Zone};
pub use render::{DriftFormat, render_drift};
pub use scan::{ScanOptions, scan};
