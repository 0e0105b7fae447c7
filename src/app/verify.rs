//! `nb-exodus verify` and `nb-exodus keygen`: resolve the flags, run the library, write and
//! sign the report, print a short summary, and map the outcome to the exit code (0 balanced,
//! 1 unexplained gaps, 2 could not verify — the last through the caller's error path).

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::verify::{KeygenArgs, VerifyArgs, VerifyMode};
use crate::verify::report::{self, FindingClass, Report};
use crate::verify::{self, sign, SignatureCheck};

/// Runs `verify` from parsed flags and the process environment.
pub(crate) async fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let json = args.json;
    let mode = args.resolve(
        std::env::var("DATABASE_URL").ok(),
        std::env::var("NATIONBUILDER_API_TOKEN").ok(),
    )?;
    match mode {
        VerifyMode::Online(config, out, key_path) => {
            super::warn_if_insecure(&config.database);
            // Read the key first: a wrong path should fail before minutes of API calls.
            let key = match &key_path {
                Some(path) => Some(verify::read_secret_key(path)?),
                None => None,
            };
            let report = verify::run(&config)
                .await
                .with_context(|| format!("verifying nation {:?}", config.nation))?;
            let written = report::write(&report, &out, key.as_ref())?;
            if json {
                let doc = serde_json::json!({
                    "exit_code": report.outcome.exit_code,
                    "report_json": written.json,
                    "report_md": written.markdown,
                    "signature": written.signature,
                    "report": report,
                });
                println!("{}", serde_json::to_string_pretty(&doc)?);
                return Ok(ExitCode::from(report.outcome.exit_code));
            }
            print_summary(&report);
            println!("report: {}", written.json.display());
            println!("report for people: {}", written.markdown.display());
            match &written.signature {
                Some(sig) => println!("signature: {}", sig.display()),
                None => println!("signature: none (pass --sign-key to sign the report)"),
            }
            Ok(ExitCode::from(report.outcome.exit_code))
        }
        VerifyMode::Offline(config, out) => {
            super::warn_if_insecure(&config.database);
            let outcome = verify::run_offline(&config).await.with_context(|| {
                format!(
                    "re-checking {} against the database",
                    config.report.display()
                )
            })?;
            if json {
                let signature = match &outcome.signature {
                    SignatureCheck::Valid(v) => serde_json::json!({
                        "valid": true, "key_id": v.key_id, "trusted_comment": v.trusted_comment,
                    }),
                    SignatureCheck::NotChecked => serde_json::json!({ "checked": false }),
                    SignatureCheck::Failed(why) => {
                        serde_json::json!({ "valid": false, "why": why })
                    }
                };
                let doc = serde_json::json!({
                    "exit_code": outcome.exit_code,
                    "signature": signature,
                    "findings": outcome.findings,
                    "recomputed": outcome.recomputed,
                });
                println!("{}", serde_json::to_string_pretty(&doc)?);
                return Ok(ExitCode::from(outcome.exit_code));
            }
            match &outcome.signature {
                SignatureCheck::Valid(v) => println!(
                    "signature: valid, key {}, trusted comment: {}",
                    v.key_id, v.trusted_comment
                ),
                SignatureCheck::NotChecked => {
                    println!("signature: NOT checked (pass --pubkey FILE to check report.json.sig)")
                }
                SignatureCheck::Failed(why) => println!("signature: INVALID: {why}"),
            }
            print_summary(&outcome.recomputed);
            for f in &outcome.findings {
                println!(
                    "{} {} {} {} {}: {}",
                    class_word(f.class),
                    f.resource,
                    f.source_id.as_deref().unwrap_or("-"),
                    f.check,
                    f.code,
                    f.detail
                );
            }
            if let Some(dir) = out {
                let written = report::write(&outcome.recomputed, &dir, None)?;
                println!("recomputation: {}", written.json.display());
            }
            if outcome.exit_code == 0 {
                println!("offline check: the database matches the report");
            } else {
                println!(
                    "offline check: FAILED ({} finding(s) above)",
                    outcome.findings.len()
                );
            }
            Ok(ExitCode::from(outcome.exit_code))
        }
    }
}

fn class_word(class: FindingClass) -> &'static str {
    match class {
        FindingClass::Defect => "DEFECT",
        FindingClass::Explained => "explained",
    }
}

fn print_summary(report: &Report) {
    let w = crate::resource::name_width();
    for (name, e) in &report.resources {
        if let Some(src) = &e.equation.source {
            println!("{name:<w$} source:  {src}");
        }
        println!("{name:<w$} archive: {}", e.equation.archive);
        println!(
            "{name:<w$} root:    {} ({} leaves)",
            e.database.manifest.root, e.database.manifest.leaves
        );
    }
    if report.mode == "online" {
        for f in report
            .findings
            .iter()
            .filter(|f| f.class == FindingClass::Defect)
        {
            println!(
                "DEFECT {} {} {} {}: {}",
                f.resource,
                f.source_id.as_deref().unwrap_or("-"),
                f.check,
                f.code,
                f.detail
            );
        }
        println!(
            "{}: {} defect(s), {} explained finding(s)",
            if report.outcome.balanced {
                "balanced"
            } else {
                "NOT balanced"
            },
            report.outcome.defects,
            report.outcome.explained
        );
    }
}

/// Runs `keygen`.
pub(crate) fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    let key = sign::SecretKey::generate()?;
    sign::write_key_pair(&key, &args.secret_key, &args.public_key, args.force)?;
    println!(
        "key {}: secret key {} (keep it private), public key {} (give it to auditors)",
        key.key_id(),
        args.secret_key.display(),
        args.public_key.display()
    );
    Ok(ExitCode::SUCCESS)
}
