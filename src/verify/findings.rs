//! Findings, the unit of verify's report: one builder and one rule for how many a check may
//! list (the first [`MAX_LISTED`], then one line saying more were found), shared by every check
//! (counts, id sweeps, integrity, sample) so no check depends on another for them.

use super::report::{Finding, FindingClass};
use crate::resource::Resource;

/// Findings of one kind listed per resource before the rest are only counted.
pub(crate) const MAX_LISTED: usize = 10_000;

/// Builds a finding.
pub(crate) fn finding(
    resource: Resource,
    source_id: Option<&str>,
    check: &str,
    class: FindingClass,
    code: &str,
    detail: String,
) -> Finding {
    Finding {
        resource: resource.as_str().to_owned(),
        source_id: source_id.map(str::to_owned),
        check: check.to_owned(),
        class,
        code: code.to_owned(),
        detail,
    }
}

/// Pushes `f` unless [`MAX_LISTED`] findings were already listed by this check; past the limit
/// one summary finding says how many more there are.
pub(crate) fn push_limited(findings: &mut Vec<Finding>, listed: &mut usize, f: Finding) {
    *listed += 1;
    if *listed <= MAX_LISTED {
        findings.push(f);
    } else if *listed == MAX_LISTED + 1 {
        findings.push(Finding {
            source_id: None,
            code: "more_not_listed".into(),
            detail: format!(
                "more than {MAX_LISTED} findings of this check; only the first are listed"
            ),
            ..f
        });
    }
}
