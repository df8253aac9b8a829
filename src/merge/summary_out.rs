//! `dash merge --summary-out`: the merged sums written as a summary themselves.
//!
//! A merged summary lists every component it pools (with its n and G per group) and holds, per
//! variant, the sums over the components that have it. Merging it with a new party later gives
//! what merging every party's own file gives, at a cost independent of the earlier parties' sizes.
//!
//! Its groups are one per phenotype, with the union layout of that phenotype (intercept, the
//! covariates chosen, y), centred on the pooled means of all its components, followed by the
//! phenotype's sex-chromosome sample sets when its inputs carry them ([`phenotype_groups`]);
//! rows are in the reported allele orientation.

use std::path::Path;

use super::layout::{PhenotypeLayout, SiteSums};
use super::{MergeOptions, Merged};
use crate::error::Result;
use crate::summary::sex::{SampleSet, SexChromosomes};
use crate::summary::SampleField;
use crate::summary::{
    Component, ComponentGroup, GroupLayout, Header, Rows, SummaryWriter, FORMAT_NAME,
    FORMAT_VERSION,
};

/// Writes the merged summary, window by window of a merge.
pub struct SummaryOut {
    /// Per group of the merged summary (each phenotype's group, then its sample sets).
    layouts: Vec<PhenotypeLayout>,
    /// Per group, its centring: the pooled means of all components.
    targets: Vec<Vec<f64>>,
    /// Per group, the sex-chromosome sample set it is (`None`: every sample).
    sets: Vec<Option<SampleSet>>,
    /// Which rows use which sample set.
    record: SexChromosomes,
    /// The file; `None` in a part ([`SummaryOut::part`]), which holds its rows in `rows`.
    writer: Option<SummaryWriter>,
    rows: Rows,
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
        let mut sets = Vec::new();
        for phenotype in phenotypes {
            for (layout, set) in phenotype_groups(merged, phenotype, options)? {
                targets.push(layout.pooled_means(merged, &all));
                layouts.push(layout);
                sets.push(set);
            }
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
                .zip(&sets)
                .map(|((layout, target), &sample_set)| GroupLayout {
                    phenotypes: vec![layout.fields[layout.y].name.clone()],
                    fields: layout.fields.clone(),
                    shift: target.clone(),
                    sample_set,
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
            sets,
            record: merged.sex_chromosomes,
            writer: Some(writer),
            rows: Rows::default(),
            sums,
            min_cell: if secure { options.min_cell } else { 0 },
        })
    }

    /// An empty part of the merged summary, its rows held in memory, for one segment of a merge
    /// split across the pool; [`SummaryOut::absorb`] writes them in genomic order.
    pub fn part(&self) -> SummaryOut {
        SummaryOut {
            layouts: self.layouts.clone(),
            targets: self.targets.clone(),
            sets: self.sets.clone(),
            record: self.record,
            writer: None,
            rows: Rows::with_widths(self.layouts.iter().map(PhenotypeLayout::width)),
            sums: self.sums.clone(),
            min_cell: self.min_cell,
        }
    }

    /// Writes the rows of `part` (from [`SummaryOut::part`]).
    pub fn absorb(&mut self, part: SummaryOut) -> Result<()> {
        self.write(part.rows)
    }

    /// Writes `rows` to the file, or holds them in a part.
    fn write(&mut self, mut rows: Rows) -> Result<()> {
        match &mut self.writer {
            Some(writer) => writer.write(&rows),
            None => {
                self.rows.append(&mut rows);
                Ok(())
            }
        }
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
            let variant = merged.variant(site);
            let row_set = self.record.row_sample_set(&variant.chrom, variant.pos);
            for ((((layout, target), set), group), sums) in self
                .layouts
                .iter()
                .zip(&self.targets)
                .zip(&self.sets)
                .zip(&mut rows.groups)
                .zip(&mut self.sums)
            {
                // A sample set holds sums on the rows that use it and 0 on every other row.
                if set.is_some() && *set != row_set {
                    let width = layout.width();
                    group.atx0.extend(std::iter::repeat_n(0.0, width));
                    group.atu.extend(std::iter::repeat_n(0.0, width));
                    group.x0x0.push(0.0);
                    continue;
                }
                layout.site_sums(merged, site, target, false, sums)?;
                group.atx0.extend_from_slice(&sums.atx0);
                group.atu.extend_from_slice(&sums.atu);
                group.x0x0.push(sums.x0x0);
            }
        }
        self.write(rows)
    }

    /// Completes the file and puts it in place; returns the rows written.
    pub fn finish(self) -> Result<usize> {
        let writer = self.writer.expect("a part is absorbed, not finished");
        let written = writer.rows_written();
        writer.finish()?;
        Ok(written)
    }
}

/// The groups of one phenotype in the merged summary, with the sample set each is: the group of
/// every sample (union layout: intercept, the chosen covariates, y), and the sex-chromosome
/// sample sets the inputs carry, so that the merged summary merges again on non-PAR chrX and
/// chrY as its inputs do.
///
/// When no input has a `known_sex` set, every sample of every input has a known sex and the
/// group carries `sex` itself (when every input has it). Otherwise the group holds the sums
/// of every sample (for `--no-x-sex` and the autosomes) and a `known_sex` set those of the
/// samples of known sex, with `sex`. A `males` set is carried when every input has one
/// (merging chrY needs it of every input). A set some input cannot give is left out: merging
/// the merged summary on those rows then stops with the message the inputs would give.
fn phenotype_groups(
    merged: &Merged,
    phenotype: &str,
    options: &MergeOptions,
) -> Result<Vec<(PhenotypeLayout, Option<SampleSet>)>> {
    let layout = PhenotypeLayout::new(merged, phenotype, options)?;
    let has_set = |set: SampleSet| {
        merged
            .inputs
            .iter()
            .any(|s| s.header.groups.iter().any(|g| g.sample_set == Some(set)))
    };
    let known_sex = layout
        .for_sample_set(merged, SampleSet::KnownSex, Some(SampleField::sex()))
        .ok();
    let males = has_set(SampleSet::Males)
        .then(|| layout.for_sample_set(merged, SampleSet::Males, None).ok())
        .flatten();
    let mut groups = Vec::new();
    match (has_set(SampleSet::KnownSex), known_sex) {
        (false, Some(with_sex)) => groups.push((with_sex, None)),
        (true, Some(known_sex)) => {
            groups.push((layout, None));
            groups.push((known_sex, Some(SampleSet::KnownSex)));
        }
        (_, None) => groups.push((layout, None)),
    }
    groups.extend(males.map(|males| (males, Some(SampleSet::Males))));
    Ok(groups)
}
