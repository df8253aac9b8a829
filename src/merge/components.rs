//! Parties across inputs: one global component per party, shards of one party counted once.
//!
//! Every summary lists its components (parties) by id. The same id in two inputs is either two
//! `--region` shards of one compression (same aggregates: one component, whose variant rows are
//! then unioned) or a double count (a merged summary together with one of its parts), which is
//! refused.
//!
//! Distinct components must hold distinct parties: a party name (a component's party, or each
//! party pooled in it — [`crate::summary::Component::members`]) in two components with different
//! ids is the same party compressed twice (another phenotype order or subset, other
//! covariates, a shard of another run) or a pooled secure total merged with one of its own
//! parties, and is refused, naming both files.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::summary::Summary;

/// A party across inputs (shards of one party share it).
#[derive(Debug, Clone)]
pub(crate) struct GlobalComponent {
    pub id: String,
    pub party: String,
    /// (input, component index in that input's header) of its first appearance.
    pub home: (usize, usize),
}

/// The global components of `inputs` and, per input, local component index → global index.
pub(crate) fn register(inputs: &[Summary]) -> Result<(Vec<GlobalComponent>, Vec<Vec<u32>>)> {
    let mut components: Vec<GlobalComponent> = Vec::new();
    let mut by_id: HashMap<String, u32> = HashMap::new();
    // Party name → the global component holding it.
    let mut by_party: HashMap<&str, u32> = HashMap::new();
    let mut component_map = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let mut map = Vec::new();
        for (c, component) in input.header.components.iter().enumerate() {
            let global = match by_id.get(&component.id) {
                Some(&g) => {
                    let (hi, hc) = components[g as usize].home;
                    let home = &inputs[hi];
                    let merged_one = [home, input]
                        .into_iter()
                        .find(|s| s.header.components.len() > 1);
                    if let Some(merged_summary) = merged_one {
                        let other = if std::ptr::eq(merged_summary, input) {
                            home
                        } else {
                            input
                        };
                        return Err(Error::input(
                            &input.path,
                            format!(
                                "party '{}' (component {}) is in both {} and the merged summary {}; merging both would count its samples twice",
                                component.party,
                                component.id,
                                other.path.display(),
                                merged_summary.path.display()
                            ),
                        ));
                    }
                    // Shards of one party: the same aggregates, or something is wrong.
                    if home.header.components[hc].groups != component.groups
                        || home.header.groups != input.header.groups
                    {
                        return Err(Error::input(
                            &input.path,
                            format!(
                                "component {} (party '{}') has different sample sums than in {}",
                                component.id,
                                component.party,
                                home.path.display()
                            ),
                        ));
                    }
                    g
                }
                None => {
                    let g = components.len() as u32;
                    for name in component.members() {
                        if let Some(&other) = by_party.get(name) {
                            let (hi, hc) = components[other as usize].home;
                            let home = &inputs[hi];
                            return Err(Error::input(
                                &input.path,
                                format!(
                                    "party '{name}' is also in {} as another compression (component {} here, {} there: another phenotype or covariate selection or order, another run, or a pooled total holding it); merging both would count its samples twice",
                                    home.path.display(),
                                    component.id,
                                    home.header.components[hc].id,
                                ),
                            ));
                        }
                    }
                    for name in component.members() {
                        by_party.insert(name, g);
                    }
                    components.push(GlobalComponent {
                        id: component.id.clone(),
                        party: component.party.clone(),
                        home: (i, c),
                    });
                    by_id.insert(component.id.clone(), g);
                    g
                }
            };
            map.push(global);
        }
        component_map.push(map);
    }

    Ok((components, component_map))
}
