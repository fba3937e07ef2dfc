//! GDPR Art. 30 records of processing as rows of label and value: one reading for the
//! compliance formats and the HTML report's section alike.

use threatforge_analysis::Record;

/// A record's rows, label and value.
pub(crate) fn record_rows(r: &Record) -> [(&'static str, String); 7] {
    let list = |v: &[String]| {
        if v.is_empty() {
            "none in the model".to_owned()
        } else {
            v.join(", ")
        }
    };
    [
        ("categories", r.categories.join(", ")),
        ("collected from", list(&r.collected_from)),
        ("processed by", list(&r.processed_by)),
        ("stored in", list(&r.stored_in)),
        ("transfers", list(&r.transfers)),
        ("third parties", list(&r.third_parties)),
        ("retention", r.retention.clone()),
    ]
}
