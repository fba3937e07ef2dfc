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

/// An entry of a catalogue as suggestions see it: its id, title and aliases.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Named<'a> {
    pub(crate) id: &'a str,
    pub(crate) title: &'a str,
    pub(crate) aliases: &'a [String],
}

/// The catalogue entries a name most likely means, best first: those that have it as an alias
/// (`aurora` is `postgresql` or `mysql`), else those whose title names it as a word (`s3` in
/// "Object storage (S3, GCS, Blob)"), else the nearest id or alias by spelling. Empty when none
/// is plausible.
pub(crate) fn by_meaning<'a>(input: &str, entries: &[Named<'a>]) -> Vec<&'a str> {
    const MOST: usize = 3;
    let needle = normalized(input);
    let by_alias: Vec<&str> = entries
        .iter()
        .filter(|e| e.aliases.iter().any(|a| normalized(a) == needle))
        .map(|e| e.id)
        .take(MOST)
        .collect();
    if !by_alias.is_empty() {
        return by_alias;
    }
    let by_title: Vec<&str> = entries
        .iter()
        .filter(|e| {
            needle.len() >= 2 && title_words(e.title).any(|w| w.eq_ignore_ascii_case(&needle))
        })
        .map(|e| e.id)
        .collect();
    // A word shared by many titles (`service`) says nothing about which one is meant.
    if !by_title.is_empty() && by_title.len() <= MOST {
        return by_title;
    }
    let spelled = entries
        .iter()
        .flat_map(|e| std::iter::once(e.id).chain(e.aliases.iter().map(String::as_str)));
    match nearest(&needle, spelled) {
        Some(near) => entries
            .iter()
            .filter(|e| e.id == near || e.aliases.iter().any(|a| a == near))
            .map(|e| e.id)
            .take(MOST)
            .collect(),
        None => Vec::new(),
    }
}

/// `did you mean `a`?`, `did you mean `a` or `b`?`
pub(crate) fn did_you_mean(ids: &[&str]) -> Option<String> {
    let (last, rest) = ids.split_last()?;
    let quoted = |id: &&str| format!("`{id}`");
    Some(if rest.is_empty() {
        format!("did you mean {}?", quoted(last))
    } else {
        let rest: Vec<String> = rest.iter().map(quoted).collect();
        format!("did you mean {} or {}?", rest.join(", "), quoted(last))
    })
}

/// How names are compared by meaning: case, `_` and spaces do not matter (`GitHub Actions`,
/// `github_actions` and `github-actions` are one name).
fn normalized(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '_' | ' ' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn title_words(title: &str) -> impl Iterator<Item = &str> {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
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

    #[test]
    fn one_or_several_suggestions_read_as_a_sentence() {
        assert_eq!(did_you_mean(&[]), None);
        assert_eq!(did_you_mean(&["a"]).as_deref(), Some("did you mean `a`?"));
        assert_eq!(
            did_you_mean(&["a", "b", "c"]).as_deref(),
            Some("did you mean `a`, `b` or `c`?")
        );
    }
}
