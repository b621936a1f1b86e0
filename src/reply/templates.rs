//! Reply templates as files: the default set shipped in `assets/templates/`, and the TOML files
//! `templates export DIR` writes and `templates import DIR` reads (one template per file).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::domain::template::Template;
use crate::text::toml_file::{self, FileError};

/// The default set, installed into every new database (schema migration 2).
const DEFAULTS: &[(&str, &str)] = &[
    (
        "damaged-in-transit.toml",
        include_str!("../../assets/templates/damaged-in-transit.toml"),
    ),
    (
        "late-or-lost.toml",
        include_str!("../../assets/templates/late-or-lost.toml"),
    ),
    (
        "defective-product.toml",
        include_str!("../../assets/templates/defective-product.toml"),
    ),
    (
        "not-as-described.toml",
        include_str!("../../assets/templates/not-as-described.toml"),
    ),
    (
        "packaging.toml",
        include_str!("../../assets/templates/packaging.toml"),
    ),
    (
        "customer-service.toml",
        include_str!("../../assets/templates/customer-service.toml"),
    ),
    (
        "fraud-or-security.toml",
        include_str!("../../assets/templates/fraud-or-security.toml"),
    ),
    (
        "return-and-refund.toml",
        include_str!("../../assets/templates/return-and-refund.toml"),
    ),
    (
        "cancellation.toml",
        include_str!("../../assets/templates/cancellation.toml"),
    ),
    (
        "product-question.toml",
        include_str!("../../assets/templates/product-question.toml"),
    ),
    (
        "general-reply.toml",
        include_str!("../../assets/templates/general-reply.toml"),
    ),
    (
        "follow-up.toml",
        include_str!("../../assets/templates/follow-up.toml"),
    ),
    (
        "beschaedigt-de.toml",
        include_str!("../../assets/templates/beschaedigt-de.toml"),
    ),
];

/// The common complaint kinds in German, French, Spanish, Italian and Japanese (schema v9 adds
/// them to databases made before).
const IN_LANGUAGES: &[(&str, &str)] = &[
    (
        "verspaetet-de.toml",
        include_str!("../../assets/templates/verspaetet-de.toml"),
    ),
    (
        "defekt-de.toml",
        include_str!("../../assets/templates/defekt-de.toml"),
    ),
    (
        "rueckgabe-de.toml",
        include_str!("../../assets/templates/rueckgabe-de.toml"),
    ),
    (
        "nicht-wie-beschrieben-de.toml",
        include_str!("../../assets/templates/nicht-wie-beschrieben-de.toml"),
    ),
    (
        "retard-fr.toml",
        include_str!("../../assets/templates/retard-fr.toml"),
    ),
    (
        "endommage-fr.toml",
        include_str!("../../assets/templates/endommage-fr.toml"),
    ),
    (
        "defectueux-fr.toml",
        include_str!("../../assets/templates/defectueux-fr.toml"),
    ),
    (
        "retour-fr.toml",
        include_str!("../../assets/templates/retour-fr.toml"),
    ),
    (
        "non-conforme-fr.toml",
        include_str!("../../assets/templates/non-conforme-fr.toml"),
    ),
    (
        "retraso-es.toml",
        include_str!("../../assets/templates/retraso-es.toml"),
    ),
    (
        "danado-es.toml",
        include_str!("../../assets/templates/danado-es.toml"),
    ),
    (
        "defectuoso-es.toml",
        include_str!("../../assets/templates/defectuoso-es.toml"),
    ),
    (
        "devolucion-es.toml",
        include_str!("../../assets/templates/devolucion-es.toml"),
    ),
    (
        "no-coincide-es.toml",
        include_str!("../../assets/templates/no-coincide-es.toml"),
    ),
    (
        "ritardo-it.toml",
        include_str!("../../assets/templates/ritardo-it.toml"),
    ),
    (
        "danneggiato-it.toml",
        include_str!("../../assets/templates/danneggiato-it.toml"),
    ),
    (
        "difettoso-it.toml",
        include_str!("../../assets/templates/difettoso-it.toml"),
    ),
    (
        "reso-it.toml",
        include_str!("../../assets/templates/reso-it.toml"),
    ),
    (
        "non-conforme-it.toml",
        include_str!("../../assets/templates/non-conforme-it.toml"),
    ),
    (
        "chien-ja.toml",
        include_str!("../../assets/templates/chien-ja.toml"),
    ),
    (
        "hason-ja.toml",
        include_str!("../../assets/templates/hason-ja.toml"),
    ),
    (
        "furyo-ja.toml",
        include_str!("../../assets/templates/furyo-ja.toml"),
    ),
    (
        "henpin-ja.toml",
        include_str!("../../assets/templates/henpin-ja.toml"),
    ),
    (
        "setsumei-ja.toml",
        include_str!("../../assets/templates/setsumei-ja.toml"),
    ),
];

/// Every complaint kind in every shipped language, added by schema v17.
const KINDS_IN_EVERY_LANGUAGE: &[(&str, &str)] = &[
    (
        "order-cancelled.toml",
        include_str!("../../assets/templates/order-cancelled.toml"),
    ),
    (
        "betrug-de.toml",
        include_str!("../../assets/templates/betrug-de.toml"),
    ),
    (
        "storno-de.toml",
        include_str!("../../assets/templates/storno-de.toml"),
    ),
    (
        "verpackung-de.toml",
        include_str!("../../assets/templates/verpackung-de.toml"),
    ),
    (
        "service-de.toml",
        include_str!("../../assets/templates/service-de.toml"),
    ),
    (
        "frage-de.toml",
        include_str!("../../assets/templates/frage-de.toml"),
    ),
    (
        "allgemein-de.toml",
        include_str!("../../assets/templates/allgemein-de.toml"),
    ),
    (
        "fraude-fr.toml",
        include_str!("../../assets/templates/fraude-fr.toml"),
    ),
    (
        "annulation-fr.toml",
        include_str!("../../assets/templates/annulation-fr.toml"),
    ),
    (
        "emballage-fr.toml",
        include_str!("../../assets/templates/emballage-fr.toml"),
    ),
    (
        "service-fr.toml",
        include_str!("../../assets/templates/service-fr.toml"),
    ),
    (
        "question-fr.toml",
        include_str!("../../assets/templates/question-fr.toml"),
    ),
    (
        "general-fr.toml",
        include_str!("../../assets/templates/general-fr.toml"),
    ),
    (
        "fraude-es.toml",
        include_str!("../../assets/templates/fraude-es.toml"),
    ),
    (
        "cancelacion-es.toml",
        include_str!("../../assets/templates/cancelacion-es.toml"),
    ),
    (
        "embalaje-es.toml",
        include_str!("../../assets/templates/embalaje-es.toml"),
    ),
    (
        "servicio-es.toml",
        include_str!("../../assets/templates/servicio-es.toml"),
    ),
    (
        "pregunta-es.toml",
        include_str!("../../assets/templates/pregunta-es.toml"),
    ),
    (
        "general-es.toml",
        include_str!("../../assets/templates/general-es.toml"),
    ),
    (
        "frode-it.toml",
        include_str!("../../assets/templates/frode-it.toml"),
    ),
    (
        "annullamento-it.toml",
        include_str!("../../assets/templates/annullamento-it.toml"),
    ),
    (
        "imballaggio-it.toml",
        include_str!("../../assets/templates/imballaggio-it.toml"),
    ),
    (
        "servizio-it.toml",
        include_str!("../../assets/templates/servizio-it.toml"),
    ),
    (
        "domanda-it.toml",
        include_str!("../../assets/templates/domanda-it.toml"),
    ),
    (
        "generale-it.toml",
        include_str!("../../assets/templates/generale-it.toml"),
    ),
    (
        "fusei-ja.toml",
        include_str!("../../assets/templates/fusei-ja.toml"),
    ),
    (
        "cancel-ja.toml",
        include_str!("../../assets/templates/cancel-ja.toml"),
    ),
    (
        "konpou-ja.toml",
        include_str!("../../assets/templates/konpou-ja.toml"),
    ),
    (
        "taiou-ja.toml",
        include_str!("../../assets/templates/taiou-ja.toml"),
    ),
    (
        "shitsumon-ja.toml",
        include_str!("../../assets/templates/shitsumon-ja.toml"),
    ),
    (
        "ippan-ja.toml",
        include_str!("../../assets/templates/ippan-ja.toml"),
    ),
];

fn parse_all(files: &[(&str, &str)]) -> Result<Vec<Template>, FileError> {
    files
        .iter()
        .map(|(name, text)| parse(text, &Path::new("assets/templates").join(name)))
        .collect()
}

/// The shipped templates. They are checked by a test, so this cannot fail in a release.
pub fn defaults() -> Result<Vec<Template>, FileError> {
    let mut all = parse_all(DEFAULTS)?;
    all.extend(parse_all(IN_LANGUAGES)?);
    all.extend(parse_all(KINDS_IN_EVERY_LANGUAGE)?);
    Ok(all)
}

/// The templates in other languages than English added by schema v9.
pub fn in_languages() -> Result<Vec<Template>, FileError> {
    parse_all(IN_LANGUAGES)
}

/// The templates added by schema v17: every complaint kind in every shipped language.
pub fn kinds_in_every_language() -> Result<Vec<Template>, FileError> {
    parse_all(KINDS_IN_EVERY_LANGUAGE)
}

/// Every shipped template with the file it comes from (`damaged-in-transit.toml`).
pub fn defaults_by_file() -> Result<Vec<(&'static str, Template)>, FileError> {
    DEFAULTS
        .iter()
        .chain(IN_LANGUAGES)
        .chain(KINDS_IN_EVERY_LANGUAGE)
        .map(|(name, text)| {
            Ok((
                *name,
                parse(text, &Path::new("assets/templates").join(name))?,
            ))
        })
        .collect()
}

/// Parses one template file.
pub fn parse(text: &str, file: &Path) -> Result<Template, FileError> {
    let t: Template = toml_file::parse("template", text, file)?;
    t.validate().map_err(|(key, message)| FileError {
        what: "template",
        file: file.to_path_buf(),
        line: line_of_key(text, key),
        key: Some(key.to_string()),
        message,
    })?;
    Ok(t)
}

/// The line where `key = ...` is written, for errors found after parsing.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// The file's text: multi-line strings stay readable.
pub fn to_toml(t: &Template) -> String {
    toml::to_string(t).expect("a template always serializes")
}

/// A file name for a template: its name in lower case, runs of anything but letters and digits
/// turned into one `-`; unique within `taken`.
pub fn file_name(name: &str, taken: &mut HashSet<String>) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let base = if slug.is_empty() { "template" } else { slug };
    let mut candidate = format!("{base}.toml");
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{base}-{n}.toml");
        n += 1;
    }
    candidate
}

/// Writes each template to its own file in `dir` (created if missing), replacing an earlier
/// export of the same name; each file appears whole or not at all.
pub fn export(templates: &[Template], dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let mut taken = HashSet::new();
    let mut written = Vec::new();
    for t in templates {
        let path = dir.join(file_name(&t.name, &mut taken));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut tmp, to_toml(t).as_bytes())?;
        tmp.persist(&path).map_err(|e| e.error)?;
        written.push(path);
    }
    Ok(written)
}

/// Every `*.toml` file in `dir`, parsed, in file-name order; a bad file is reported, the others
/// still come through.
pub fn read_dir(dir: &Path) -> std::io::Result<Vec<Result<Template, FileError>>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    Ok(files
        .iter()
        .map(|f| toml_file::read("template", f).and_then(|text| parse(&text, f)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::{PLACEHOLDERS, SELLER_FILLED, unfilled};

    #[test]
    fn defaults_parse_and_cover_every_complaint_kind() {
        let all = defaults().unwrap();
        let mut names = HashSet::new();
        for t in &all {
            assert!(names.insert(t.name.clone()), "{} twice", t.name);
        }
        for kind in [
            "quality",
            "shipping",
            "not_as_described",
            "packaging",
            "customer_service",
            "fraud",
            "returns",
            "cancellation",
            "question",
            "other",
        ] {
            assert!(
                all.iter().any(|t| t.category.as_deref() == Some(kind)),
                "no template for {kind}"
            );
        }
    }

    #[test]
    fn defaults_use_only_known_placeholders_and_ask_for_a_date_when_they_promise_a_remedy() {
        let known: Vec<String> = PLACEHOLDERS
            .iter()
            .chain(SELLER_FILLED)
            .chain(crate::domain::template::COMMITMENTS)
            .map(|(n, _)| format!("{{{{{n}}}}}"))
            .collect();
        for t in defaults().unwrap() {
            for p in unfilled(&t.body) {
                assert!(known.contains(&p), "{}: unknown {p}", t.name);
            }
            let body = t.body.to_lowercase();
            let remedy = body.contains("replacement") || body.contains("refund");
            if remedy {
                assert!(
                    body.contains("{{delivery_date}}")
                        || body.contains("{{replacement_arrival}}")
                        || body.contains("{{refund_date}}"),
                    "{}: a remedy without a date",
                    t.name
                );
            }
            // docs/amazon-rules.md §4: no links, no review requests in a message.
            for banned in ["http", "www.", "review", "feedback", "@"] {
                assert!(!body.contains(banned), "{}: contains {banned}", t.name);
            }
        }
    }

    #[test]
    fn a_template_round_trips_through_its_file() {
        for t in defaults().unwrap() {
            let text = to_toml(&t);
            assert_eq!(parse(&text, Path::new("x.toml")).unwrap(), t);
        }
    }

    #[test]
    fn errors_name_the_file_line_and_key() {
        let e = parse(
            "name = \"A\"\nlanguage = \"English\"\nbody = \"hi\"\n",
            Path::new("/t/a.toml"),
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("language")));
        assert!(
            e.to_string().starts_with("template /t/a.toml, line 2"),
            "{e}"
        );
        let e = parse("name = \"A\"\nbdy = \"hi\"\n", Path::new("a.toml")).unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse("name = \"A\"\n", Path::new("a.toml")).unwrap_err();
        assert!(e.message.contains("body"), "{e}");
        let e = parse("name = \"  \"\nbody = \"x\"\n", Path::new("a.toml")).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("name")));
    }

    #[test]
    fn file_names_are_readable_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(
            file_name("Beschädigt angekommen (DE)", &mut taken),
            "beschädigt-angekommen-de.toml"
        );
        assert_eq!(file_name("A / B", &mut taken), "a-b.toml");
        assert_eq!(file_name("a b", &mut taken), "a-b-2.toml");
        assert_eq!(file_name("../..", &mut taken), "template.toml");
    }

    #[test]
    fn export_then_read_gives_the_same_templates() {
        let dir = tempfile::tempdir().unwrap();
        let all = defaults().unwrap();
        let files = export(&all, dir.path()).unwrap();
        assert_eq!(files.len(), all.len());
        std::fs::write(dir.path().join("broken.toml"), "name = \n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a template").unwrap();
        let back = read_dir(dir.path()).unwrap();
        let (ok, bad): (Vec<_>, Vec<_>) = back.into_iter().partition(Result::is_ok);
        assert_eq!(bad.len(), 1);
        let mut ok: Vec<Template> = ok.into_iter().map(Result::unwrap).collect();
        let mut all = all;
        ok.sort_by(|a, b| a.name.cmp(&b.name));
        all.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(ok, all);
    }
}
