//! "Did you mean ...?" for names a user mistyped.

/// The candidate closest to `input`, when it is close enough to be a plausible typo.
pub fn nearest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let needle = input.to_ascii_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        let lower = candidate.to_ascii_lowercase();
        let mut score = strsim::jaro_winkler(&needle, &lower);
        // A prefix or containment ("postgres" for "postgresql") is a strong hint too.
        if needle.len() >= 3 && (lower.starts_with(&needle) || lower.contains(&needle)) {
            score = score.max(0.9);
        }
        // Jaro-Winkler matches letters only within a window that is empty for three-letter
        // names, so it misses two swapped letters there (`vcp` for `vpc`); one edit counts.
        if needle.len() >= 3 && strsim::osa_distance(&needle, &lower) == 1 {
            score = score.max(0.85);
        }
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.filter(|(score, _)| *score >= 0.8).map(|(_, c)| c)
}

/// A short, human list of the valid names: all of them when few, else the first ones.
pub fn one_of(candidates: &[&str]) -> String {
    const SHOWN: usize = 12;
    let quoted: Vec<String> = candidates
        .iter()
        .take(SHOWN)
        .map(|c| format!("`{c}`"))
        .collect();
    let mut text = quoted.join(", ");
    if candidates.len() > SHOWN {
        text.push_str(&format!(", ... ({} in all)", candidates.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_prefixes() {
        let names = ["payments", "shop", "db"];
        assert_eq!(nearest("paymnts", names), Some("payments"));
        assert_eq!(
            nearest("postgres", ["postgresql", "mysql"]),
            Some("postgresql")
        );
        assert_eq!(nearest("zzz", names), None);
        assert_eq!(nearest("vcp", ["dmz", "vpc", "office"]), Some("vpc"));
        assert_eq!(nearest("vcp", ["dmz", "office"]), None);
    }
}
