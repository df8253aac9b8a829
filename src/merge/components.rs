//! Parties across inputs: one global component per party, shards of one party counted once.
//!
//! Every summary lists its components (parties) by id. The same id in two inputs is either two
//! `--region` shards of one compression (same aggregates: one component, whose variant rows are
//! then unioned) or a double count (a merged summary together with one of its parts), which is
//! refused.

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
