//! JUnit XML, as Maven Surefire, pytest, Jest (jest-junit) and go-junit-report write it:
//! `<testsuites>` or a lone `<testsuite>`, nested suites, `<testcase classname name>` with a
//! `<failure>`, `<error>` or `<skipped>` child. Read as a stream of events with quick-xml,
//! which never expands entities beyond XML's five; a DOCTYPE is refused outright, so no entity
//! of the file's own is ever defined.

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::{Context, Error, Evidence, Outcome, TestResult};

/// A test case being read: its id and what its children said so far.
struct Open {
    id: String,
    outcome: Outcome,
    message: Option<String>,
}

pub(crate) fn read(bytes: &[u8], cx: &Context, evidence: &mut Evidence) -> Result<(), Error> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(true);
    let mut depth = 0usize;
    let mut case: Option<Open> = None;
    let mut saw_root = false;
    let mut buf = Vec::new();
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(cx, bytes, reader.error_position(), &e.to_string()))?;
        match event {
            Event::DocType(_) => {
                return Err(xml_error(
                    cx,
                    bytes,
                    at,
                    "a DOCTYPE in a test report: refused, since it could define entities",
                ));
            }
            Event::Start(start) => {
                depth += 1;
                if depth > cx.limits.max_xml_depth {
                    return Err(xml_error(
                        cx,
                        bytes,
                        at,
                        &format!("elements nest deeper than {}", cx.limits.max_xml_depth),
                    ));
                }
                if depth == 1 {
                    root(&start, cx, bytes, at)?;
                    saw_root = true;
                }
                element(&start, cx, bytes, at, &mut case)?;
            }
            Event::Empty(start) => {
                if depth == 0 {
                    root(&start, cx, bytes, at)?;
                    saw_root = true;
                }
                element(&start, cx, bytes, at, &mut case)?;
                if start.local_name().as_ref() == "testcase" {
                    finish(case.take(), cx, evidence);
                }
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                if end.local_name().as_ref() == "testcase" {
                    finish(case.take(), cx, evidence);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err(xml_error(
            cx,
            bytes,
            0,
            "an XML file without a `<testsuites>` or `<testsuite>` element",
        ));
    }
    Ok(())
}

fn finish(case: Option<Open>, cx: &Context, evidence: &mut Evidence) {
    let Some(case) = case else { return };
    if !cx.room(evidence) {
        return;
    }
    evidence.tests.push(TestResult {
        id: case.id,
        outcome: case.outcome,
        message: case.message,
        source: cx.source.to_owned(),
    });
}

fn root(start: &BytesStart, cx: &Context, bytes: &[u8], at: u64) -> Result<(), Error> {
    match start.local_name().as_ref() {
        "testsuites" | "testsuite" => Ok(()),
        other => Err(xml_error(
            cx,
            bytes,
            at,
            &format!(
                "an XML file whose root is `<{}>`, not `<testsuites>` or `<testsuite>`",
                crate::cut_chars(other, 100)
            ),
        )),
    }
}

/// A test case opens; a failure, error or skip inside one sets its outcome (the worst wins).
fn element(
    start: &BytesStart,
    cx: &Context,
    bytes: &[u8],
    at: u64,
    case: &mut Option<Open>,
) -> Result<(), Error> {
    let name = start.local_name();
    let attribute = |key: &str| -> Result<Option<String>, Error> {
        match start.try_get_attribute(key) {
            Ok(Some(a)) => a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| Some(cx.cut(&v)))
                .map_err(|e| xml_error(cx, bytes, at, &e.to_string())),
            Ok(None) => Ok(None),
            Err(e) => Err(xml_error(cx, bytes, at, &e.to_string())),
        }
    };
    match name.as_ref() {
        "testcase" => {
            let test = attribute("name")?.unwrap_or_default();
            let class = attribute("classname")?.unwrap_or_default();
            let id = if class.is_empty() || class == test {
                test
            } else {
                format!("{class}.{test}")
            };
            *case = Some(Open {
                id,
                outcome: Outcome::Passed,
                message: None,
            });
        }
        verdict @ ("failure" | "error" | "skipped") => {
            let outcome = match verdict {
                "failure" => Outcome::Failed,
                "error" => Outcome::Error,
                _ => Outcome::Skipped,
            };
            if let Some(open) = case.as_mut()
                && outcome > open.outcome
            {
                open.outcome = outcome;
                open.message = attribute("message")?.or(attribute("type")?);
            }
        }
        _ => {}
    }
    Ok(())
}

/// An error at byte `at`, located by line and column.
fn xml_error(cx: &Context, bytes: &[u8], at: u64, message: &str) -> Error {
    let at = usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len());
    let before = &bytes[..at];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = at
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    Error::new(
        cx.source,
        Some((line, column)),
        format!("not a JUnit XML report: {message}"),
        "pass the XML test report your test runner writes (Surefire, pytest --junitxml, jest-junit, go-junit-report)",
    )
}
