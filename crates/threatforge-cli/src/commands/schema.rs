//! `threatforge schema`: the JSON Schema of the model language.

use crate::cli::SchemaArgs;
use crate::terminal::write_output;

pub fn run(args: SchemaArgs) -> Result<u8, String> {
    write_output(
        args.output.as_deref(),
        &threatforge_model::schema::model_schema_text(),
    )?;
    Ok(crate::exit::OK)
}
