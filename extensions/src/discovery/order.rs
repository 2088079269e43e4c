//! Load order: a deterministic topological sort of manifests by their dependencies.

use std::collections::{BTreeMap, BTreeSet};

use super::Problem;
use crate::manifest::Manifest;

/// Orders `manifests` so every extension comes after its dependencies (ties broken by
/// id, so the order is deterministic). Extensions with a missing or mismatched
/// dependency, in a cycle, or depending on one of those, are left out and reported.
pub fn load_order(manifests: Vec<Manifest>) -> (Vec<Manifest>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut by_id: BTreeMap<String, Manifest> =
        manifests.into_iter().map(|m| (m.id.clone(), m)).collect();

    // Drop extensions whose dependencies are absent or of the wrong version, until
    // nothing changes (a drop can break a dependent).
    loop {
        let mut bad = Vec::new();
        for m in by_id.values() {
            for (dep, req) in &m.dependencies {
                let found = match by_id.get(dep) {
                    None => Some("not installed or it cannot load".to_string()),
                    Some(d) if !req.matches(&d.version) => Some(format!("found {}", d.version)),
                    Some(_) => None,
                };
                if let Some(found) = found {
                    bad.push(Problem::MissingDependency {
                        id: m.id.clone(),
                        dependency: dep.clone(),
                        requirement: req.clone(),
                        found,
                    });
                }
            }
        }
        if bad.is_empty() {
            break;
        }
        for p in bad {
            if let Problem::MissingDependency { id, .. } = &p {
                by_id.remove(id);
            }
            problems.push(p);
        }
    }

    // Kahn's algorithm over ids, always taking the smallest ready id.
    let mut remaining: BTreeMap<&str, BTreeSet<&str>> = by_id
        .values()
        .map(|m| {
            (
                m.id.as_str(),
                m.dependencies.keys().map(String::as_str).collect(),
            )
        })
        .collect();
    let mut order: Vec<String> = Vec::new();
    loop {
        let ready = remaining
            .iter()
            .find(|(_, deps)| deps.is_empty())
            .map(|(id, _)| *id);
        let Some(id) = ready else { break };
        remaining.remove(id);
        for deps in remaining.values_mut() {
            deps.remove(id);
        }
        order.push(id.to_string());
    }
    if !remaining.is_empty() {
        let ids: Vec<String> = remaining.keys().map(|s| s.to_string()).collect();
        tracing::warn!(?ids, "circular extension dependencies");
        problems.push(Problem::Cycle { ids });
    }
    let ordered = order.iter().filter_map(|id| by_id.remove(id)).collect();
    (ordered, problems)
}
