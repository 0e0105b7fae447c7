//! Remap: re-derives the loaded tables from the raw archive with the current mapping files,
//! without fetching anything again. After a mapping file changes, `migrate` refuses to mix rows
//! of two mapping versions; `remap` walks every archived record of each stream in id order,
//! maps it again and upserts the rows (a person's child rows replaced as a set), in chunks of
//! one transaction each, then records the new mapping checksum on the streams' checkpoints.
//! Interrupted, it leaves the old checksum in place, so it is simply run again.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::run::{Backend, PipelineError};
use crate::checkpoint::StateStore;
use crate::fetch::Cursor;
use crate::load::{self, BatchContext, PageBatch, Sink};
use crate::mapping::{build_batch, Mapper};
use crate::resource::Resource;

/// Records re-mapped per transaction.
const CHUNK: usize = 1000;

/// What remapping one stream did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemapReport {
    /// Archived records mapped again.
    pub records: u64,
    /// Rows upserted.
    pub rows: u64,
    /// Rejects written.
    pub rejected: u64,
}

/// Re-maps every archived record of `streams`.
pub async fn remap<M: Mapper, St: StateStore, K: Sink>(
    backend: &Backend<St, K>,
    context: &BatchContext,
    mapper: &M,
    streams: &[Resource],
) -> Result<BTreeMap<Resource, RemapReport>, PipelineError> {
    let mut reports = BTreeMap::new();
    for &stream in streams {
        let checksum = mapper.checksum_of(stream);
        let mut report = RemapReport::default();
        let mut after = String::new();
        loop {
            let records = backend
                .sink
                .archived(&context.nation, stream, &after, CHUNK)
                .await?;
            let Some(last) = records.last().and_then(|r| r.source_id.clone()) else {
                break;
            };
            // The archived id is authoritative (v1 tags and taggings have composed ids).
            after = last;
            let mapped = build_batch(&context.api, stream, mapper, &records);
            let mut batch = PageBatch::new(context, stream, mapped, &checksum, Cursor::Done, None);
            batch.advances_checkpoint = false;
            let outcome = load::commit(&*backend.sink, Arc::new(batch)).await?;
            report.records += records.len() as u64;
            report.rows += outcome.rows;
            report.rejected += outcome.rejected;
        }
        backend
            .store
            .set_mapping(&context.nation, stream, &checksum)
            .await?;
        reports.insert(stream, report);
    }
    Ok(reports)
}
