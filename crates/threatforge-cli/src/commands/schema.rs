//! `threatforge schema`: the JSON Schema of the model language, or of the JSON report.

use crate::cli::{SchemaArgs, SchemaKind};
use crate::terminal::write_output;

pub(super) fn run(args: SchemaArgs) -> Result<u8, String> {
    let text = match args.output_format {
        SchemaKind::Model => threatforge_model::model_schema_text(),
        SchemaKind::Report => threatforge_report::REPORT_SCHEMA.to_owned(),
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(crate::exit::OK)
}
