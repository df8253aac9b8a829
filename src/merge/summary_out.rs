//! `dash merge --summary-out`: the merged sums written as a summary themselves.
//!
//! A merged summary lists every component it pools (with its n and G per group) and holds, per
//! variant, the sums over the components that have it. Merging it with a new party later gives
//! what merging every party's own file gives, at a cost independent of the earlier parties' sizes.
//!
//! Its groups are one per phenotype, with the union layout of that phenotype (intercept, the
//! covariates chosen, y), centred on the pooled means of all its components; rows are in the
//! reported allele orientation.

use std::path::Path;

use super::layout::{PhenotypeLayout, SiteSums};
use super::{MergeOptions, Merged};
use crate::error::Result;
use crate::summary::sex::SampleSet;
use crate::summary::SampleField;
use crate::summary::{
    Component, ComponentGroup, GroupLayout, Header, Rows, SummaryWriter, FORMAT_NAME,
    FORMAT_VERSION,
};

/// Writes the merged summary, window by window of a merge.
pub struct SummaryOut {
    layouts: Vec<PhenotypeLayout>,
    /// Per phenotype, the centring of its group: the pooled means of all components.
    targets: Vec<Vec<f64>>,
    writer: SummaryWriter,
    sums: Vec<SiteSums>,
    min_cell: u64,
}

impl SummaryOut {
    /// Creates the merged summary of `phenotypes` at `path` (under a temporary name until
    /// [`SummaryOut::finish`]); `merged` gives the inputs' headers (any window of them).
    /// `region` is the merge's `--region`, recorded as the shard the summary holds.
    pub fn create(
        merged: &Merged,
        phenotypes: &[String],
        options: &MergeOptions,
        region: Option<String>,
        path: &Path,
    ) -> Result<SummaryOut> {
        let all: Vec<u32> = (0..merged.components.len() as u32).collect();
        let mut layouts = Vec::new();
        let mut targets = Vec::new();
        for phenotype in phenotypes {
            let layout = PhenotypeLayout::new(merged, phenotype, options)?;
            // The sex field travels on when every input has it, so that the merged summary's
            // non-PAR chrX can be merged again.
            // Not when an input has known-sex sample sets: this summary holds the sums of
            // every sample (the sample sets are not carried on; docs/formats.md).
            let has_sets = merged.inputs.iter().any(|s| {
                s.header
                    .groups
                    .iter()
                    .any(|g| g.sample_set == Some(SampleSet::KnownSex))
            });
            let layout = match has_sets {
                true => layout,
                false => layout
                    .for_sample_set(merged, SampleSet::KnownSex, Some(SampleField::sex()))
                    .unwrap_or(layout),
            };
            targets.push(layout.pooled_means(merged, &all));
            layouts.push(layout);
        }

        let components = all
            .iter()
            .map(|&global| {
                let home = &merged.components[global as usize];
                let (input, local) = home.home;
                let original = &merged.inputs[input].header.components[local];
                let (source, disclosure, parties) = (
                    original.source.clone(),
                    original.disclosure.clone(),
                    original.parties.clone(),
                );
                let groups = layouts
                    .iter()
                    .zip(&targets)
                    .map(|(layout, target)| {
                        let gram = layout
                            .component_grams(merged, &[global], target)
                            .pop()
                            .expect("one component");
                        ComponentGroup {
                            n: gram.n as u64,
                            gram: gram.gram,
                        }
                    })
                    .collect();
                Component {
                    id: home.id.clone(),
                    party: home.party.clone(),
                    source,
                    groups,
                    disclosure,
                    parties,
                    case_control: original.case_control.clone(),
                    sex_source: original.sex_source.clone(),
                }
            })
            .collect();
        let header = Header {
            format: FORMAT_NAME.to_string(),
            format_version: FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            groups: layouts
                .iter()
                .zip(&targets)
                .map(|(layout, target)| GroupLayout {
                    phenotypes: vec![layout.fields[layout.y].name.clone()],
                    fields: layout.fields.clone(),
                    shift: target.clone(),
                    sample_set: None,
                })
                .collect(),
            components,
            region,
            row_order: Some(crate::summary::RowOrder::Genomic),
            ld_regions: Vec::new(),
            secure: None,
            sex_chromosomes: merged.sex_chromosomes,
        };

        let writer = SummaryWriter::create(path, &header)?;
        let sums = layouts.iter().map(SiteSums::new).collect();
        // A secure set reveals only pooled sums: none of a site with a small pooled cell.
        let secure = merged.kind == super::InputKind::SecureSet;
        Ok(SummaryOut {
            layouts,
            targets,
            writer,
            sums,
            min_cell: if secure { options.min_cell } else { 0 },
        })
    }

    /// Appends the sites of one window.
    pub fn append(&mut self, merged: &Merged) -> Result<()> {
        let mut rows = Rows::with_widths(self.layouts.iter().map(PhenotypeLayout::width));
        for site in &merged.sites {
            if self.min_cell > 1 && merged.pooled_small_carriers(site, self.min_cell) {
                continue;
            }
            rows.variants.push(merged.variant(site).clone());
            let mut set = Vec::new();
            merged.component_set(site, &mut set);
            rows.components.push(set.into());
            rows.qc.push(merged.qc(site));
            for (((layout, target), group), sums) in self
                .layouts
                .iter()
                .zip(&self.targets)
                .zip(&mut rows.groups)
                .zip(&mut self.sums)
            {
                layout.site_sums(merged, site, target, false, sums)?;
                group.atx0.extend_from_slice(&sums.atx0);
                group.atu.extend_from_slice(&sums.atu);
                group.x0x0.push(sums.x0x0);
            }
        }
        self.writer.write(&rows)
    }

    /// Completes the file and puts it in place; returns the rows written.
    pub fn finish(self) -> Result<usize> {
        let written = self.writer.rows_written();
        self.writer.finish()?;
        Ok(written)
    }
}
