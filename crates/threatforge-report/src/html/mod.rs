//! The self-contained HTML report (being written).

use threatforge_analysis::Analysis;
use threatforge_model::Model;

pub fn render(model: &Model, analysis: &Analysis) -> String {
    let _ = (model, analysis);
    String::from("<!doctype html>\n")
}
