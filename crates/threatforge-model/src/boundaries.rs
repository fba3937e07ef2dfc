//! The boundary tree of a model, built in one place for every stage that needs it: validation,
//! the analysis's facts, the diagrams, the HTML report and the OTM export. Elements are model
//! indexes (`model.components`, `model.boundaries`).
//!
//! A valid model nests boundaries as a tree and lists each element in one boundary. An invalid one
//! may not, and the tree is built from it all the same, so that validation reads its problems here
//! rather than walking the model again: the first boundary to list an element is its parent (a
//! later listing is an overlap), a boundary listing itself is ignored, and a nesting cycle is cut
//! above the first of its boundaries in model order (and recorded in `cycles`).

use crate::model::Model;

#[derive(Debug, Default)]
pub struct BoundaryTree {
    /// The boundary that first lists each component.
    of_component: Vec<Option<usize>>,
    /// The boundary that first lists each boundary, before cycles are cut.
    listed_in: Vec<Option<usize>>,
    /// The boundary directly around each boundary, cycles cut.
    parent: Vec<Option<usize>>,
    /// The boundaries each boundary lists first, in its `contains` order.
    children: Vec<Vec<usize>>,
    /// Each boundary's ancestors, outermost first, the boundary itself last.
    chain: Vec<Vec<usize>>,
    /// The components inside each boundary, directly or in nested ones, in model order.
    members: Vec<Vec<usize>>,
    /// Each nesting cycle: the boundary whose link up was cut, then the ones above it.
    cycles: Vec<Vec<usize>>,
}

impl BoundaryTree {
    pub fn new(model: &Model) -> BoundaryTree {
        let nb = model.boundaries.len();
        let mut of_component = vec![None; model.components.len()];
        let mut listed_in = vec![None; nb];
        for (b, boundary) in model.boundaries.values().enumerate() {
            for member in &boundary.contains {
                if let Some(c) = model.components.get_index_of(member.value.as_str()) {
                    of_component[c].get_or_insert(b);
                } else if let Some(inner) = model.boundaries.get_index_of(member.value.as_str())
                    && inner != b
                {
                    listed_in[inner].get_or_insert(b);
                }
            }
        }
        let mut parent = listed_in.clone();
        // Walking up from each boundary in order: one that comes back to itself is the first of
        // its cycle, and its link up is cut, which ends every later walk round the same cycle.
        let mut cycles = Vec::new();
        for start in 0..nb {
            let mut path = vec![start];
            let mut at = start;
            while let Some(up) = parent[at] {
                if up == start {
                    parent[start] = None;
                    cycles.push(path);
                    break;
                }
                if path.len() > nb {
                    // Above a cycle that does not pass here; cut when its first boundary's turn
                    // comes.
                    break;
                }
                path.push(up);
                at = up;
            }
        }
        let mut children = vec![Vec::new(); nb];
        for (b, boundary) in model.boundaries.values().enumerate() {
            for member in &boundary.contains {
                if let Some(inner) = model.boundaries.get_index_of(member.value.as_str())
                    && parent[inner] == Some(b)
                    && !children[b].contains(&inner)
                {
                    children[b].push(inner);
                }
            }
        }
        let chain: Vec<Vec<usize>> = (0..nb)
            .map(|b| {
                let mut path = vec![b];
                let mut at = b;
                while let Some(up) = parent[at] {
                    path.push(up);
                    at = up;
                }
                path.reverse();
                path
            })
            .collect();
        let mut members = vec![Vec::new(); nb];
        for (c, inside) in of_component.iter().enumerate() {
            if let Some(b) = *inside {
                for &around in &chain[b] {
                    members[around].push(c);
                }
            }
        }
        BoundaryTree {
            of_component,
            listed_in,
            parent,
            children,
            chain,
            members,
            cycles,
        }
    }

    /// The innermost boundary around a component.
    pub fn of_component(&self, component: usize) -> Option<usize> {
        self.of_component.get(component).copied().flatten()
    }

    /// The boundary directly around a boundary.
    pub fn parent(&self, boundary: usize) -> Option<usize> {
        self.parent.get(boundary).copied().flatten()
    }

    /// The id of the boundary directly around a component or boundary, for outputs that name
    /// elements by id.
    pub fn parent_id<'m>(&self, model: &'m Model, id: &str) -> Option<&'m str> {
        let parent = match model.components.get_index_of(id) {
            Some(c) => self.of_component(c),
            None => self.parent(model.boundaries.get_index_of(id)?),
        }?;
        model
            .boundaries
            .get_index(parent)
            .map(|(id, _)| id.as_str())
    }

    /// The boundary that first lists a boundary, a nesting cycle's link included.
    pub fn listed_in(&self, boundary: usize) -> Option<usize> {
        self.listed_in.get(boundary).copied().flatten()
    }

    /// The boundaries directly inside a boundary.
    pub fn children(&self, boundary: usize) -> &[usize] {
        self.children.get(boundary).map_or(&[], Vec::as_slice)
    }

    /// A boundary and those around it, outermost first.
    pub fn chain(&self, boundary: usize) -> &[usize] {
        self.chain.get(boundary).map_or(&[], Vec::as_slice)
    }

    /// The boundaries around a component, outermost first.
    pub fn around(&self, component: usize) -> &[usize] {
        self.of_component(component).map_or(&[], |b| self.chain(b))
    }

    /// The components inside a boundary, directly or in nested ones, in model order.
    pub fn members(&self, boundary: usize) -> &[usize] {
        self.members.get(boundary).map_or(&[], Vec::as_slice)
    }

    /// The nesting cycles, each from the boundary whose link up was cut.
    pub fn cycles(&self) -> &[Vec<usize>] {
        &self.cycles
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, load_str};

    fn tree(text: &str) -> (Model, BoundaryTree) {
        let loaded = load_str(
            "t.yaml",
            text,
            std::path::Path::new("."),
            &LoadOptions::default(),
        );
        let tree = BoundaryTree::new(&loaded.model);
        (loaded.model, tree)
    }

    fn ids<'m>(model: &'m Model, boundaries: &[usize]) -> Vec<&'m str> {
        boundaries
            .iter()
            .map(|&b| model.boundaries[b].id.value.as_str())
            .collect()
    }

    const NESTED: &str = "system: { name: s }
components:
  web: { kind: process }
  db: { kind: store }
  lone: { kind: process }
boundaries:
  cloud: { contains: [vpc] }
  vpc: { contains: [private, web] }
  private: { contains: [db] }
";

    #[test]
    fn nesting_gives_parents_children_chains_and_members() {
        let (model, tree) = tree(NESTED);
        let (cloud, vpc, private) = (0, 1, 2);
        assert_eq!(tree.parent(cloud), None);
        assert_eq!(tree.parent(private), Some(vpc));
        assert_eq!(tree.children(vpc), [private]);
        assert_eq!(
            ids(&model, tree.chain(private)),
            ["cloud", "vpc", "private"]
        );
        // Components in model order, however deep.
        assert_eq!(tree.members(cloud), [0, 1]);
        assert_eq!(tree.members(private), [1]);
        assert_eq!(ids(&model, tree.around(1)), ["cloud", "vpc", "private"]);
        assert_eq!(tree.parent_id(&model, "db"), Some("private"));
        assert_eq!(tree.parent_id(&model, "vpc"), Some("cloud"));
        assert_eq!(tree.parent_id(&model, "cloud"), None);
        assert_eq!(tree.parent_id(&model, "lone"), None);
        assert!(tree.cycles().is_empty());
    }

    #[test]
    fn an_element_outside_every_boundary_has_none_around_it() {
        let (_, tree) = tree(NESTED);
        let lone = 2;
        assert_eq!(tree.of_component(lone), None);
        assert!(tree.around(lone).is_empty());
        // Indexes out of range read as nothing, not a panic.
        assert!(tree.chain(99).is_empty() && tree.members(99).is_empty());
    }

    #[test]
    fn a_cycle_is_cut_above_its_first_boundary_and_recorded() {
        let (model, tree) = tree(
            "system: { name: s }
components:
  app: { kind: process }
boundaries:
  a: { contains: [b] }
  b: { contains: [c, app] }
  c: { contains: [a] }
",
        );
        let cycles: Vec<Vec<&str>> = tree.cycles().iter().map(|c| ids(&model, c)).collect();
        assert_eq!(cycles, [["a", "c", "b"]]);
        let (a, c) = (0, 2);
        assert_eq!(tree.parent(a), None);
        assert_eq!(tree.listed_in(a), Some(c));
        assert_eq!(ids(&model, tree.chain(c)), ["a", "b", "c"]);
        assert_eq!(ids(&model, tree.around(0)), ["a", "b"]);
        assert_eq!(tree.members(a), [0]);
    }

    #[test]
    fn a_boundary_listed_twice_keeps_its_first_parent_and_makes_no_cycle() {
        let (model, tree) = tree(
            "system: { name: s }
boundaries:
  outer: { contains: [a] }
  a: { contains: [b] }
  b: { contains: [a] }
",
        );
        assert!(tree.cycles().is_empty());
        assert_eq!(ids(&model, tree.chain(2)), ["outer", "a", "b"]);
    }

    #[test]
    fn a_cycle_of_its_own_is_cut_at_its_first_boundary() {
        let (model, tree) = tree(
            "system: { name: s }
boundaries:
  a: { contains: [b] }
  b: { contains: [a] }
",
        );
        let cycles: Vec<Vec<&str>> = tree.cycles().iter().map(|c| ids(&model, c)).collect();
        assert_eq!(cycles, [["a", "b"]]);
        assert_eq!(tree.parent(0), None);
        assert_eq!(tree.listed_in(0), Some(1));
        assert_eq!(ids(&model, tree.chain(1)), ["a", "b"]);
    }

    #[test]
    fn the_first_listing_wins_and_a_boundary_listing_itself_is_ignored() {
        let (_, tree) = tree(
            "system: { name: s }
components:
  app: { kind: process }
boundaries:
  one: { contains: [app, one] }
  two: { contains: [app] }
",
        );
        assert_eq!(tree.of_component(0), Some(0));
        assert_eq!(tree.parent(0), None);
        assert_eq!(tree.members(1), [] as [usize; 0]);
    }

    #[test]
    fn a_deep_nesting_has_its_whole_chain() {
        let depth = 2_000;
        let mut text = String::from(
            "system: { name: s }\ncomponents:\n  app: { kind: process }\nboundaries:\n",
        );
        for i in 0..depth {
            let inner = if i + 1 == depth {
                "app".to_owned()
            } else {
                format!("b{}", i + 1)
            };
            text.push_str(&format!("  b{i}: {{ contains: [{inner}] }}\n"));
        }
        let (_, tree) = tree(&text);
        assert_eq!(tree.around(0).len(), depth);
        assert_eq!(tree.members(0), [0]);
        assert!(tree.cycles().is_empty());
    }
}
