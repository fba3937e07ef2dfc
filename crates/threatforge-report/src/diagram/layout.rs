//! A layered (Sugiyama-style) layout of a compound graph, drawn from left to right.
//!
//! The graph's nodes sit in nested clusters (trust boundaries). The steps:
//!
//! 1. **Cycle breaking**: the greedy order of Eades, Lin and Smyth (sinks last, sources first,
//!    else the node with the most outgoing edges); edges against it are reversed, and drawn with
//!    the arrow at the other end.
//! 2. **Layer assignment, by blocks**: the members of each cluster (its own nodes, and its
//!    nested clusters as blocks as wide as their own layering) are layered on their own, from
//!    the innermost cluster out: longest path, then network simplex (with a budget) to shorten
//!    edges. An edge between two members needs the head to start after the whole tail, so a
//!    cluster is a band of columns and clusters joined by flows stand side by side (a DMZ left
//!    of the application tier left of the data tier) instead of being stacked. Every edge spans
//!    at least two layers: nodes sit on even layers, and an edge's label is a dummy node on an
//!    odd layer (between the boundaries of its two ends when it can), so labels take part in
//!    the layout like nodes and cannot overlap nodes or each other. An edge's other dummies
//!    belong to the innermost cluster around one of its ends that spans their layer: an edge
//!    runs inside the boundary it leaves up to that boundary's edge.
//! 3. **Crossing reduction**: barycenter sweeps down and up, layer by layer, then swaps of
//!    neighbours. Every cluster keeps one order of its children (nodes and sub-clusters) shared
//!    by all layers, so a cluster is contiguous in every layer and two sibling clusters are in
//!    the same order in every layer: that is what lets their rectangles nest without
//!    overlapping. Within a layer, a node moves to its barycenter among its cluster's children;
//!    sub-clusters keep their order in a sweep (their barycenters are pooled to be monotone),
//!    and between sweeps sibling clusters are reordered by where their outside neighbours are.
//!    The order with the fewest crossings wins.
//! 4. **Coordinates**: columns from the layers' widths, with room in the gaps for the clusters'
//!    padding; in each column, positions that keep the order and the separations, as close as
//!    possible to the average of each node's neighbours (rounds of a VPSC-style block-merging
//!    solver), solved cluster by cluster from the innermost outwards so that every cluster is
//!    one rigid block in its parent. Inside a cluster the wishes are drawn together to span no
//!    more than its compact height, so clusters stay compact.
//!
//! Edges are routed through their dummy nodes: a horizontal run across each column they pass
//! (nothing else in the column is at that height) and a curve in each gap between columns
//! (where there are no nodes). Cost: `O((n + e) log n)` for cycle breaking, `O(n + e)` per
//! network simplex exchange with a fixed budget of exchanges, `O(m log m)` per layer per sweep
//! for ordering, and near-linear per round for coordinates, with fixed numbers of sweeps and
//! rounds.
//!
//! Everything is deterministic: ties break by index, and nothing iterates a hash map.

use std::cmp::Ordering;

/// Horizontal space between two columns, besides the clusters' padding.
pub(crate) const GAP: f64 = 26.0;
/// Padding inside a cluster's rectangle, left, right and bottom.
pub(crate) const CLUSTER_PAD: f64 = 12.0;
/// Space above and below a cluster's label, at the top of its rectangle.
pub(crate) const CLUSTER_HEADER_PAD: f64 = 7.0;
/// Vertical space between two nodes (or clusters) of a column.
pub(crate) const NODE_SEP: f64 = 26.0;
/// Vertical space between an edge passing through a column and a node or label.
pub(crate) const EDGE_NODE_SEP: f64 = 12.0;
/// Vertical space between two edges passing through a column.
pub(crate) const EDGE_SEP: f64 = 8.0;
/// Space around the drawing.
pub(crate) const MARGIN: f64 = 16.0;
/// Vertical space between the ends of two edges on one side of a node: edges into (or out of)
/// a busy node fan out over its side this far apart, each on its own line up to the node, so a
/// reader follows every edge from its label to its end.
pub(crate) const PORT_GAP: f64 = 12.0;
/// The share of a node's height its ports spread over, centred.
const PORT_BAND: f64 = 0.8;

const SWEEP_ROUNDS: usize = 4;
const TRANSPOSE_PASSES: usize = 4;
const COORDINATE_ROUNDS: usize = 12;
/// Exchanges of network simplex, at most: each costs `O(nodes + edges)`.
const SIMPLEX_BUDGET: usize = 2_000;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Size {
    pub w: f64,
    pub h: f64,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub size: Size,
    /// The innermost cluster the node is in.
    pub cluster: Option<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct Cluster {
    /// The cluster this one is nested in.
    pub parent: Option<usize>,
    /// The size of its label, drawn at the top of its rectangle.
    pub label: Size,
}

#[derive(Clone, Debug)]
pub(crate) struct Edge {
    pub source: usize,
    pub target: usize,
    pub label: Option<Size>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    pub clusters: Vec<Cluster>,
    pub edges: Vec<Edge>,
}

/// A rectangle: top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub(crate) fn right(&self) -> f64 {
        self.x + self.w
    }
    pub(crate) fn bottom(&self) -> f64 {
        self.y + self.h
    }
    pub(crate) fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    pub(crate) fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
    /// Whether the two rectangles share interior points: the layout's tests check boxes with it.
    #[cfg(test)]
    pub(crate) fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }
    /// Whether `other` is inside this rectangle, with at least `margin` to spare on every side.
    #[cfg(test)]
    pub(crate) fn contains(&self, other: &Rect, margin: f64) -> bool {
        other.x >= self.x + margin
            && other.right() <= self.right() - margin
            && other.y >= self.y + margin
            && other.bottom() <= self.bottom() - margin
    }
}

/// A horizontal piece of an edge, at height `y` from `x0` to `x1` (left to right).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Run {
    pub x0: f64,
    pub x1: f64,
    pub y: f64,
}

/// How an edge is drawn: horizontal runs, left to right, joined by curves in the gaps between
/// columns. The first run leaves the left end's node, the last enters the right end's node.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Route {
    pub runs: Vec<Run>,
    /// Where the edge's label goes (the edge passes under it).
    pub label: Option<Rect>,
    /// The edge goes from right to left: its arrow is at the first run.
    pub reversed: bool,
    /// A loop from a node to itself (no runs).
    pub self_loop: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Layout {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<Rect>,
    /// `None` for a cluster with no node in it.
    pub clusters: Vec<Option<Rect>>,
    pub edges: Vec<Route>,
    /// Edge crossings between adjacent layers, as counted by the ordering step.
    pub crossings: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Node,
    Dummy,
    Label,
}

#[derive(Clone, Debug)]
struct Item {
    layer: usize,
    cluster: Option<usize>,
    size: Size,
    kind: Kind,
    preds: Vec<usize>,
    succs: Vec<usize>,
}

/// One child of a cluster: an item directly in it, or a nested cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    Item(usize),
    Sub(usize),
}

/// The cluster tree, sanitized: parents out of range or forming a cycle are dropped.
struct Tree {
    chain: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    roots: Vec<usize>,
    parent: Vec<Option<usize>>,
}

impl Tree {
    fn new(clusters: &[Cluster]) -> Tree {
        let n = clusters.len();
        let mut parent: Vec<Option<usize>> = clusters
            .iter()
            .enumerate()
            .map(|(i, c)| c.parent.filter(|&p| p < n && p != i))
            .collect();
        // Cut cycles: walking up from a cluster takes at most n steps in a tree.
        for start in 0..n {
            let mut at = start;
            let mut steps = 0;
            while let Some(p) = parent[at] {
                steps += 1;
                if steps > n {
                    parent[start] = None;
                    break;
                }
                at = p;
            }
        }
        let chain: Vec<Vec<usize>> = (0..n)
            .map(|c| {
                let mut path = vec![c];
                let mut at = c;
                while let Some(p) = parent[at] {
                    path.push(p);
                    at = p;
                }
                path.reverse();
                path
            })
            .collect();
        let mut children = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (c, p) in parent.iter().enumerate() {
            match *p {
                Some(p) => children[p].push(c),
                None => roots.push(c),
            }
        }
        Tree {
            chain,
            children,
            roots,
            parent,
        }
    }

    fn lca(&self, a: Option<usize>, b: Option<usize>) -> Option<usize> {
        let (a, b) = (a?, b?);
        let (ca, cb) = (&self.chain[a], &self.chain[b]);
        let mut last = None;
        for (x, y) in ca.iter().zip(cb) {
            if x != y {
                break;
            }
            last = Some(*x);
        }
        last
    }
}

/// Lays out `graph`. Node and label sizes are the caller's; everything else is decided here.
pub(crate) fn layout(graph: &Graph) -> Layout {
    let mut state = State::new(graph);
    state.order();
    state.finish(graph)
}

/// An edge in the layered graph: its items from the left end to the right end.
struct EdgeChain {
    items: Vec<usize>,
    reversed: bool,
    label: Option<usize>,
}

struct State {
    tree: Tree,
    items: Vec<Item>,
    layers: Vec<Vec<usize>>,
    pos: Vec<usize>,
    item_ord: Vec<f64>,
    cluster_ord: Vec<f64>,
    span: Vec<Option<(usize, usize)>>,
    /// Per input edge: its items from the left end to the right end, and whether reversed.
    edge_items: Vec<Option<EdgeChain>>,
    crossings: usize,
    /// The height of each cluster's label.
    label_h: Vec<f64>,
}

impl State {
    fn new(graph: &Graph) -> State {
        let tree = Tree::new(&graph.clusters);
        let n = graph.nodes.len();
        let nc = graph.clusters.len();
        let node_cluster: Vec<Option<usize>> = graph
            .nodes
            .iter()
            .map(|node| node.cluster.filter(|&c| c < nc))
            .collect();
        let valid = |e: &Edge| e.source < n && e.target < n;
        let proper: Vec<(usize, usize)> = graph
            .edges
            .iter()
            .filter(|e| valid(e) && e.source != e.target)
            .map(|e| (e.source, e.target))
            .collect();
        let (rank, reversed) = block_ranks(n, &node_cluster, &tree, &proper);
        let oriented: Vec<(usize, usize)> = proper
            .iter()
            .zip(&reversed)
            .map(|(&(s, t), &r)| if r { (t, s) } else { (s, t) })
            .collect();

        let mut items: Vec<Item> = (0..n)
            .map(|i| Item {
                layer: 2 * rank[i],
                cluster: node_cluster[i],
                size: graph.nodes[i].size,
                kind: Kind::Node,
                preds: Vec::new(),
                succs: Vec::new(),
            })
            .collect();
        // A busy node is drawn as tall as its ports need (`PORT_GAP`), before anything is placed.
        let mut ports = vec![(0usize, 0usize); n];
        for &(s, t) in &oriented {
            ports[s].1 += 1;
            ports[t].0 += 1;
        }
        for (item, &(ins, outs)) in items.iter_mut().zip(&ports) {
            let k = ins.max(outs);
            if k > 1 {
                let need = ((k - 1) as f64 * PORT_GAP / PORT_BAND).ceil();
                item.size.h = item.size.h.max(need);
            }
        }
        // The layers each cluster's nodes span.
        let mut node_span: Vec<Option<(usize, usize)>> = vec![None; nc];
        for item in &items {
            if let Some(c) = item.cluster {
                for &a in &tree.chain[c] {
                    node_span[a] = Some(match node_span[a] {
                        None => (item.layer, item.layer),
                        Some((lo, hi)) => (lo.min(item.layer), hi.max(item.layer)),
                    });
                }
            }
        }
        let covers = |c: usize, layer: usize| {
            node_span[c].is_some_and(|(lo, hi)| lo <= layer && layer <= hi)
        };
        let mut edge_items = Vec::with_capacity(graph.edges.len());
        let mut k = 0;
        for e in &graph.edges {
            if !valid(e) || e.source == e.target {
                edge_items.push(None);
                continue;
            }
            let (u, v) = oriented[k];
            let rev = reversed[k];
            k += 1;
            let (lu, lv) = (items[u].layer, items[v].layer);
            let lca = tree.lca(items[u].cluster, items[v].cluster);
            let chain_u: &[usize] = items[u].cluster.map_or(&[], |c| &tree.chain[c]);
            let chain_v: &[usize] = items[v].cluster.map_or(&[], |c| &tree.chain[c]);
            // A dummy is in the deepest cluster around either end that spans its layer: the
            // edge runs inside the boundary it leaves until that boundary's last column.
            let cluster_at = |layer: usize| -> Option<usize> {
                let a = chain_u.iter().rev().find(|&&c| covers(c, layer));
                let b = chain_v.iter().rev().find(|&&c| covers(c, layer));
                match (a, b) {
                    (Some(&a), Some(&b)) => Some(if tree.chain[a].len() >= tree.chain[b].len() {
                        a
                    } else {
                        b
                    }),
                    (Some(&a), None) => Some(a),
                    (None, Some(&b)) => Some(b),
                    (None, None) => None,
                }
            };
            let clusters: Vec<Option<usize>> = (lu + 1..lv).map(cluster_at).collect();
            // The label goes in the middle of the part between the two ends' boundaries.
            let label_layer = e.label.map(|_| {
                let free: Vec<usize> = (lu + 1..lv)
                    .filter(|l| l % 2 == 1 && clusters[l - lu - 1] == lca)
                    .collect();
                if free.is_empty() {
                    let mid = lu + (lv - lu) / 2;
                    if mid % 2 == 0 { mid - 1 } else { mid }
                } else {
                    free[(free.len() - 1) / 2]
                }
            });
            let mut chain = vec![u];
            let mut label_item = None;
            let mut prev = u;
            for layer in lu + 1..lv {
                let is_label = label_layer == Some(layer);
                let id = items.len();
                items.push(Item {
                    layer,
                    cluster: clusters[layer - lu - 1],
                    size: if is_label {
                        e.label.unwrap_or_default()
                    } else {
                        Size::default()
                    },
                    kind: if is_label { Kind::Label } else { Kind::Dummy },
                    preds: vec![prev],
                    succs: Vec::new(),
                });
                items[prev].succs.push(id);
                if is_label {
                    label_item = Some(id);
                }
                chain.push(id);
                prev = id;
            }
            items[prev].succs.push(v);
            items[v].preds.push(prev);
            chain.push(v);
            edge_items.push(Some(EdgeChain {
                items: chain,
                reversed: rev,
                label: label_item,
            }));
        }

        let layer_count = items.iter().map(|i| i.layer + 1).max().unwrap_or(0);
        let mut span: Vec<Option<(usize, usize)>> = vec![None; nc];
        for item in &items {
            if let Some(c) = item.cluster {
                for &a in &tree.chain[c] {
                    span[a] = Some(match span[a] {
                        None => (item.layer, item.layer),
                        Some((lo, hi)) => (lo.min(item.layer), hi.max(item.layer)),
                    });
                }
            }
        }

        // Initial order: depth-first discovery from the nodes in their given order.
        let mut item_ord = vec![0.0; items.len()];
        let mut seen = vec![false; items.len()];
        let mut counter = 0.0;
        for start in 0..n {
            if seen[start] {
                continue;
            }
            let mut stack = vec![start];
            seen[start] = true;
            while let Some(v) = stack.pop() {
                item_ord[v] = counter;
                counter += 1.0;
                for &w in items[v].succs.iter().rev() {
                    if !seen[w] {
                        seen[w] = true;
                        stack.push(w);
                    }
                }
            }
        }
        let mut cluster_ord = vec![f64::INFINITY; nc];
        for (i, item) in items.iter().enumerate() {
            if let Some(c) = item.cluster {
                for &a in &tree.chain[c] {
                    cluster_ord[a] = cluster_ord[a].min(item_ord[i]);
                }
            }
        }
        // Clusters without items never meet an item; give them distinct finite values anyway.
        for (c, ord) in cluster_ord.iter_mut().enumerate() {
            if !ord.is_finite() {
                *ord = counter + c as f64;
            }
        }

        let mut layers = vec![Vec::new(); layer_count];
        for (i, item) in items.iter().enumerate() {
            layers[item.layer].push(i);
        }
        let pos = vec![0; items.len()];
        let mut state = State {
            tree,
            items,
            layers,
            pos,
            item_ord,
            cluster_ord,
            span,
            edge_items,
            crossings: 0,
            label_h: graph.clusters.iter().map(|c| c.label.h).collect(),
        };
        state.rebuild_layers();
        state
    }

    fn item_chain(&self, v: usize) -> &[usize] {
        match self.items[v].cluster {
            Some(c) => &self.tree.chain[c],
            None => &[],
        }
    }

    /// The order of two items of one layer: by their clusters' order where their cluster chains
    /// part, else by their own order.
    fn compare(&self, a: usize, b: usize) -> Ordering {
        let (ca, cb) = (self.item_chain(a), self.item_chain(b));
        let mut k = 0;
        loop {
            let ord = match (ca.get(k), cb.get(k)) {
                (Some(x), Some(y)) if x == y => {
                    k += 1;
                    continue;
                }
                (Some(&x), Some(&y)) => self.cluster_ord[x]
                    .total_cmp(&self.cluster_ord[y])
                    .then(x.cmp(&y)),
                (Some(&x), None) => self.cluster_ord[x]
                    .total_cmp(&self.item_ord[b])
                    .then(Ordering::Greater),
                (None, Some(&y)) => self.item_ord[a]
                    .total_cmp(&self.cluster_ord[y])
                    .then(Ordering::Less),
                (None, None) => self.item_ord[a]
                    .total_cmp(&self.item_ord[b])
                    .then(a.cmp(&b)),
            };
            return ord;
        }
    }

    fn rebuild_layers(&mut self) {
        let mut layers = std::mem::take(&mut self.layers);
        for layer in &mut layers {
            layer.sort_by(|&a, &b| self.compare(a, b));
            for (i, &v) in layer.iter().enumerate() {
                self.pos[v] = i;
            }
        }
        self.layers = layers;
    }

    fn order(&mut self) {
        let has_clusters = !self.tree.roots.is_empty();
        let mut best = (
            self.count_crossings(),
            self.item_ord.clone(),
            self.cluster_ord.clone(),
        );
        for round in 0..SWEEP_ROUNDS {
            if best.0 == 0 {
                break;
            }
            for down in [true, false] {
                self.sweep(down);
                self.transpose();
                let c = self.count_crossings();
                if c < best.0 {
                    best = (c, self.item_ord.clone(), self.cluster_ord.clone());
                }
            }
            if has_clusters && round + 1 < SWEEP_ROUNDS {
                let (item_y, cluster_y) = self.coordinates(2);
                self.reorder_clusters(&item_y, &cluster_y);
                self.rebuild_layers();
                let c = self.count_crossings();
                if c < best.0 {
                    best = (c, self.item_ord.clone(), self.cluster_ord.clone());
                }
            }
        }
        self.crossings = best.0;
        self.item_ord = best.1;
        self.cluster_ord = best.2;
        self.rebuild_layers();
    }

    fn sweep(&mut self, down: bool) {
        let count = self.layers.len();
        if count < 2 {
            return;
        }
        let order: Vec<usize> = if down {
            (1..count).collect()
        } else {
            (0..count - 1).rev().collect()
        };
        let mut bary: Vec<Option<f64>> = vec![None; self.items.len()];
        for i in order {
            let current = std::mem::take(&mut self.layers[i]);
            for &v in &current {
                let nbrs = if down {
                    &self.items[v].preds
                } else {
                    &self.items[v].succs
                };
                bary[v] = (!nbrs.is_empty()).then(|| {
                    nbrs.iter().map(|&u| self.pos[u] as f64).sum::<f64>() / nbrs.len() as f64
                });
            }
            let new_order = self.reorder(&current, 0, i, &bary);
            for (p, &v) in new_order.iter().enumerate() {
                self.pos[v] = p;
            }
            self.layers[i] = new_order;
        }
    }

    /// Reorders `segment` (the items of one layer under one cluster, in their current order) by
    /// barycenter, keeping the relative order of sub-clusters; updates the items' orders.
    fn reorder(
        &mut self,
        segment: &[usize],
        level: usize,
        layer: usize,
        bary: &[Option<f64>],
    ) -> Vec<usize> {
        let parent = if level == 0 {
            None
        } else {
            Some(self.item_chain(segment[0])[level - 1])
        };
        enum Entry {
            Leaf(usize),
            Sub(usize),
        }
        // Sub-clusters present in the segment: cluster, its items (reordered), key sum, weight.
        let mut subs: Vec<(usize, Vec<usize>, f64, f64)> = Vec::new();
        let mut entries = Vec::new();
        let mut i = 0;
        while i < segment.len() {
            let v = segment[i];
            match self.item_chain(v).get(level).copied() {
                None => {
                    entries.push(Entry::Leaf(v));
                    i += 1;
                }
                Some(c) => {
                    let mut j = i;
                    while j < segment.len() && self.item_chain(segment[j]).get(level) == Some(&c) {
                        j += 1;
                    }
                    let sub = self.reorder(&segment[i..j], level + 1, layer, bary);
                    let (mut sum, mut weight) = (0.0, 0.0);
                    for &v in &sub {
                        if let Some(b) = bary[v] {
                            sum += b;
                            weight += 1.0;
                        }
                    }
                    entries.push(Entry::Sub(c));
                    subs.push((c, sub, sum, weight));
                    i = j;
                }
            }
        }
        subs.sort_by_key(|s| s.0);
        let find = |subs: &[(usize, Vec<usize>, f64, f64)], c: usize| {
            subs.binary_search_by_key(&c, |s| s.0).ok()
        };
        // Sub-clusters spanning this layer (with items here or not), in their fixed order.
        let siblings: &[usize] = match parent {
            None => &self.tree.roots,
            Some(p) => &self.tree.children[p],
        };
        let mut spanning: Vec<usize> = siblings
            .iter()
            .copied()
            .filter(|&c| self.span[c].is_some_and(|(lo, hi)| lo <= layer && layer <= hi))
            .collect();
        spanning.sort_by(|&a, &b| {
            self.cluster_ord[a]
                .total_cmp(&self.cluster_ord[b])
                .then(a.cmp(&b))
        });
        let keyed: Vec<(f64, f64)> = spanning
            .iter()
            .map(|&c| match find(&subs, c) {
                Some(k) if subs[k].3 > 0.0 => (subs[k].2 / subs[k].3, subs[k].3),
                _ => (0.0, 0.0),
            })
            .collect();
        let pooled = pool_monotone(&keyed);
        let mut index: Vec<(usize, usize)> =
            spanning.iter().enumerate().map(|(k, &c)| (c, k)).collect();
        index.sort_unstable();
        let pooled_of = |c: usize| -> Option<f64> {
            index
                .binary_search_by_key(&c, |x| x.0)
                .ok()
                .map(|i| pooled[index[i].1])
        };

        // Leaves without a barycenter stay after whatever precedes them now.
        let mut leaf_keys: Vec<(usize, f64, usize)> = Vec::new(); // item, key, current position
        let mut last = f64::NEG_INFINITY;
        for (p, entry) in entries.iter().enumerate() {
            match *entry {
                Entry::Leaf(v) => {
                    let key = bary[v].unwrap_or(last);
                    last = key;
                    leaf_keys.push((v, key, p));
                }
                Entry::Sub(c) => {
                    if let Some(k) = pooled_of(c) {
                        last = k;
                    }
                }
            }
        }
        leaf_keys.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.cmp(&b.2)));

        // Merge: leaves go before the first cluster whose key exceeds theirs.
        let mut out = Vec::with_capacity(segment.len());
        let mut run: Vec<usize> = Vec::new();
        let mut li = 0;
        let mut prev_ord: Option<f64> = None;
        for (k, &c) in spanning.iter().enumerate() {
            while li < leaf_keys.len() && leaf_keys[li].1 < pooled[k] {
                run.push(leaf_keys[li].0);
                li += 1;
            }
            let ord = self.cluster_ord[c];
            self.place_run(&run, prev_ord, Some(ord));
            out.append(&mut run);
            if let Some(s) = find(&subs, c) {
                out.extend_from_slice(&subs[s].1);
            }
            prev_ord = Some(ord);
        }
        while li < leaf_keys.len() {
            run.push(leaf_keys[li].0);
            li += 1;
        }
        self.place_run(&run, prev_ord, None);
        out.append(&mut run);
        out
    }

    /// Swaps neighbours of one layer and one cluster while that removes crossings.
    fn transpose(&mut self) {
        for _ in 0..TRANSPOSE_PASSES {
            let mut improved = false;
            for i in 0..self.layers.len() {
                for k in 0..self.layers[i].len().saturating_sub(1) {
                    let (a, b) = (self.layers[i][k], self.layers[i][k + 1]);
                    if self.items[a].cluster != self.items[b].cluster {
                        continue;
                    }
                    if self.pair_crossings(b, a) < self.pair_crossings(a, b) {
                        self.layers[i].swap(k, k + 1);
                        self.pos[a] = k + 1;
                        self.pos[b] = k;
                        self.item_ord.swap(a, b);
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }

    /// Crossings between the edges of `upper` and those of `lower` if `upper` is just above.
    fn pair_crossings(&self, upper: usize, lower: usize) -> usize {
        let mut count = 0;
        for (ua, ub) in [
            (&self.items[upper].preds, &self.items[lower].preds),
            (&self.items[upper].succs, &self.items[lower].succs),
        ] {
            for &x in ua {
                for &y in ub {
                    if self.pos[x] > self.pos[y] {
                        count += 1;
                    }
                }
            }
        }
        count
    }

    /// Gives the leaves of `run` orders between `before` and `after`, in sequence.
    fn place_run(&mut self, run: &[usize], before: Option<f64>, after: Option<f64>) {
        if run.is_empty() {
            return;
        }
        let (a, b) = match (before, after) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, a + 1.0),
            (None, Some(b)) => (b - 1.0, b),
            (None, None) => (0.0, 1.0),
        };
        let m = run.len() as f64;
        for (j, &v) in run.iter().enumerate() {
            self.item_ord[v] = a + (b - a) * (j as f64 + 1.0) / (m + 1.0);
        }
    }

    /// Sorts sibling clusters by the average height of their outside neighbours.
    fn reorder_clusters(&mut self, item_y: &[f64], cluster_y: &[f64]) {
        let nc = self.cluster_ord.len();
        let mut sum = vec![0.0; nc];
        let mut count = vec![0usize; nc];
        for a in 0..self.items.len() {
            let ca = self.item_chain(a);
            if ca.is_empty() {
                continue;
            }
            for &b in self.items[a].preds.iter().chain(&self.items[a].succs) {
                let cb = self.item_chain(b);
                let common = ca.iter().zip(cb).take_while(|(x, y)| x == y).count();
                for &c in &ca[common..] {
                    sum[c] += item_y[b];
                    count[c] += 1;
                }
            }
        }
        let mut groups: Vec<Vec<usize>> = vec![self.tree.roots.clone()];
        groups.extend(self.tree.children.iter().cloned());
        for group in groups {
            let mut present: Vec<usize> = group
                .into_iter()
                .filter(|&c| self.span[c].is_some())
                .collect();
            if present.len() < 2 {
                continue;
            }
            let mut values: Vec<f64> = present.iter().map(|&c| self.cluster_ord[c]).collect();
            values.sort_by(f64::total_cmp);
            let key = |c: usize| {
                if count[c] > 0 {
                    sum[c] / count[c] as f64
                } else {
                    cluster_y[c]
                }
            };
            present.sort_by(|&a, &b| {
                key(a)
                    .total_cmp(&key(b))
                    .then(self.cluster_ord[a].total_cmp(&self.cluster_ord[b]))
                    .then(a.cmp(&b))
            });
            for (c, v) in present.into_iter().zip(values) {
                self.cluster_ord[c] = v;
            }
        }
    }

    /// Crossings between adjacent layers (accumulator tree, `O(e log n)` per layer pair).
    fn count_crossings(&self) -> usize {
        let mut total = 0;
        for i in 0..self.layers.len().saturating_sub(1) {
            let mut pairs: Vec<(usize, usize)> = Vec::new();
            for &u in &self.layers[i] {
                for &v in &self.items[u].succs {
                    pairs.push((self.pos[u], self.pos[v]));
                }
            }
            pairs.sort_unstable();
            let size = self.layers[i + 1].len() + 1;
            let mut tree = vec![0usize; size + 1];
            for (seen, &(_, b)) in pairs.iter().enumerate() {
                // Count earlier pairs whose target is after b.
                let mut le = 0;
                let mut k = b + 1;
                while k > 0 {
                    le += tree[k];
                    k -= k & k.wrapping_neg();
                }
                total += seen - le;
                let mut k = b + 1;
                while k <= size {
                    tree[k] += 1;
                    k += k & k.wrapping_neg();
                }
            }
        }
        total
    }

    /// The members of each cluster (and of the root, last), in order.
    fn members(&self) -> Vec<Vec<Member>> {
        let nc = self.cluster_ord.len();
        let mut members: Vec<Vec<Member>> = vec![Vec::new(); nc + 1];
        for (i, item) in self.items.iter().enumerate() {
            members[item.cluster.unwrap_or(nc)].push(Member::Item(i));
        }
        for c in 0..nc {
            if self.span[c].is_some() {
                members[self.tree.parent[c].unwrap_or(nc)].push(Member::Sub(c));
            }
        }
        for list in &mut members {
            list.sort_by(|a, b| {
                let key = |m: &Member| match *m {
                    Member::Item(i) => (self.item_ord[i], 0, i),
                    Member::Sub(c) => (self.cluster_ord[c], 1, c),
                };
                let (ka, kb) = (key(a), key(b));
                ka.0.total_cmp(&kb.0)
                    .then(ka.1.cmp(&kb.1))
                    .then(ka.2.cmp(&kb.2))
            });
        }
        members
    }

    /// The height of a cluster's label row.
    fn header(&self, c: usize) -> f64 {
        self.label_h[c] + 2.0 * CLUSTER_HEADER_PAD
    }

    /// A quick estimate of the vertical coordinates (`rounds` rounds), for reordering clusters:
    /// the centers of the items and of the clusters.
    fn coordinates(&self, rounds: usize) -> (Vec<f64>, Vec<f64>) {
        let geometry = self.solve_y(rounds);
        let item_y = (0..self.items.len())
            .map(|i| geometry.item_top[i] + self.items[i].size.h / 2.0)
            .collect();
        let cluster_y = (0..self.cluster_ord.len())
            .map(|c| geometry.cluster_top[c] + geometry.cluster_h[c] / 2.0)
            .collect();
        (item_y, cluster_y)
    }

    /// Vertical coordinates after `rounds` rounds: item tops, and cluster tops and heights.
    fn solve_y(&self, rounds: usize) -> Geometry {
        let n = self.items.len();
        let nc = self.cluster_ord.len();
        let members = self.members();
        // Innermost clusters first, the root (index nc) last.
        let mut post: Vec<usize> = (0..nc).filter(|&c| self.span[c].is_some()).collect();
        post.sort_by_key(|&c| std::cmp::Reverse(self.tree.chain[c].len()));
        post.push(nc);
        let mut pre = post.clone();
        pre.reverse();

        let mut geometry = Geometry {
            item_top: vec![0.0; n],
            cluster_top: vec![0.0; nc],
            cluster_h: vec![0.0; nc],
        };
        let mut item_rel = vec![0.0; n];
        let mut cluster_rel = vec![0.0; nc];
        let mut agg_w = vec![0.0; nc];
        let mut agg_wd = vec![0.0; nc];
        let mut packed: Vec<f64> = vec![0.0; nc];
        const EPS: f64 = 1e-3;
        for round in 0..rounds {
            // Where each item would like its center: with its neighbours (and itself, to damp).
            let desired: Vec<Option<f64>> = (0..n)
                .map(|v| {
                    if round == 0 {
                        return Some(0.0);
                    }
                    let item = &self.items[v];
                    if item.preds.is_empty() && item.succs.is_empty() {
                        return None;
                    }
                    let center = |u: usize| geometry.item_top[u] + self.items[u].size.h / 2.0;
                    let mut sum = center(v);
                    let mut count = 1.0;
                    for &u in item.preds.iter().chain(&item.succs) {
                        sum += center(u);
                        count += 1.0;
                    }
                    Some(sum / count)
                })
                .collect();
            for &c in &post {
                let list = &members[c];
                let (lo, hi) = if c == nc {
                    (0, self.layers.len().saturating_sub(1))
                } else {
                    self.span[c].unwrap_or((0, 0))
                };
                let mut want = Vec::with_capacity(list.len());
                let mut free = Vec::with_capacity(list.len());
                let mut weight = Vec::with_capacity(list.len());
                let mut height = Vec::with_capacity(list.len());
                for m in list {
                    let (h, wish, w) = match *m {
                        Member::Item(v) => {
                            let h = self.items[v].size.h;
                            match desired[v] {
                                Some(d) => (h, d - h / 2.0, 1.0),
                                None => (h, geometry.item_top[v], EPS),
                            }
                        }
                        Member::Sub(d) => {
                            let h = geometry.cluster_h[d];
                            if agg_w[d] > EPS {
                                (h, agg_wd[d] / agg_w[d], agg_w[d])
                            } else {
                                (h, geometry.cluster_top[d], EPS)
                            }
                        }
                    };
                    height.push(h);
                    free.push(wish);
                    want.push(wish);
                    weight.push(w);
                }
                // Inside a cluster, wishes are drawn toward their mean to span no more than the
                // cluster's compact height (from the first round): a cluster grows only as its
                // contents need, not with its neighbours' spread, which would feed back into
                // the spread. Its own place in its parent follows the unscaled wishes (`free`).
                if c < nc && round > 0 && !want.is_empty() {
                    let lo = want.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = want
                        .iter()
                        .zip(&height)
                        .map(|(w, h)| w + h)
                        .fold(f64::NEG_INFINITY, f64::max);
                    let allowed = packed[c].max(1.0);
                    if hi - lo > allowed {
                        let f = allowed / (hi - lo);
                        let total: f64 = weight.iter().sum();
                        let mean =
                            want.iter().zip(&weight).map(|(w, k)| w * k).sum::<f64>() / total;
                        for w in &mut want {
                            *w = mean + (*w - mean) * f;
                        }
                    }
                }
                let class = |m: &Member| match *m {
                    Member::Item(v) => match self.items[v].kind {
                        Kind::Node => 2,
                        Kind::Label => 1,
                        Kind::Dummy => 0,
                    },
                    Member::Sub(_) => 2,
                };
                let span_of = |m: &Member| match *m {
                    Member::Item(v) => (self.items[v].layer, self.items[v].layer),
                    Member::Sub(d) => self.span[d].unwrap_or((0, 0)),
                };
                let mut last: Vec<Option<usize>> = vec![None; hi + 1 - lo];
                let mut constraints: Vec<(usize, usize, f64)> = Vec::new();
                for (k, m) in list.iter().enumerate() {
                    let (a, b) = span_of(m);
                    let start = constraints.len();
                    for slot in &mut last[a - lo..=b - lo] {
                        if let Some(p) = *slot {
                            let sep = match (class(&list[p]), class(m)) {
                                (2, 2) => NODE_SEP,
                                (0, 0) => EDGE_SEP,
                                (x, y) if x.max(y) == 2 => EDGE_NODE_SEP,
                                _ => EDGE_NODE_SEP,
                            };
                            constraints.push((p, k, height[p] + sep));
                        }
                        *slot = Some(k);
                    }
                    constraints[start..].sort_by_key(|x| x.0);
                    let mut kept = start;
                    for j in start..constraints.len() {
                        if j == start || constraints[j].0 != constraints[kept - 1].0 {
                            constraints[kept] = constraints[j];
                            kept += 1;
                        }
                    }
                    constraints.truncate(kept);
                }
                let y = satisfy(&want, &weight, &constraints);
                let (header, pad) = if c == nc {
                    (0.0, 0.0)
                } else {
                    (self.header(c), CLUSTER_PAD)
                };
                let top = y.iter().copied().fold(f64::INFINITY, f64::min) - header;
                let bottom = y
                    .iter()
                    .zip(&height)
                    .map(|(y, h)| y + h)
                    .fold(f64::NEG_INFINITY, f64::max)
                    + pad;
                let top = if top.is_finite() { top } else { 0.0 };
                let (mut sw, mut swd) = (0.0, 0.0);
                for (k, m) in list.iter().enumerate() {
                    let rel = y[k] - top;
                    match *m {
                        Member::Item(v) => item_rel[v] = rel,
                        Member::Sub(d) => cluster_rel[d] = rel,
                    }
                    sw += weight[k];
                    swd += weight[k] * (free[k] - rel);
                }
                if c < nc {
                    geometry.cluster_h[c] = if bottom.is_finite() {
                        bottom - top
                    } else {
                        0.0
                    };
                    if round == 0 {
                        packed[c] = (geometry.cluster_h[c] - header - pad).max(0.0);
                    }
                    agg_w[c] = sw;
                    agg_wd[c] = swd;
                }
            }
            // Absolute positions, outermost first. The root's top stays where its items want it
            // (for the next round); the drawing is shifted to the margin at the end.
            let mut root_top = 0.0;
            {
                let list = &members[nc];
                let (mut sw, mut swd) = (0.0, 0.0);
                for m in list {
                    if let Member::Item(v) = *m {
                        let d = desired[v].map(|d| d - self.items[v].size.h / 2.0);
                        if let Some(d) = d {
                            sw += 1.0;
                            swd += d - item_rel[v];
                        }
                    } else if let Member::Sub(d) = *m
                        && agg_w[d] > EPS
                    {
                        sw += agg_w[d];
                        swd += agg_wd[d] - agg_w[d] * cluster_rel[d];
                    }
                }
                if sw > 0.0 {
                    root_top = swd / sw;
                }
            }
            for &c in &pre {
                let base = if c == nc {
                    root_top
                } else {
                    geometry.cluster_top[c]
                };
                for m in &members[c] {
                    match *m {
                        Member::Item(v) => geometry.item_top[v] = base + item_rel[v],
                        Member::Sub(d) => geometry.cluster_top[d] = base + cluster_rel[d],
                    }
                }
            }
        }
        // Shift so that the topmost thing is at the margin.
        let mut min_top = f64::INFINITY;
        for &t in &geometry.item_top {
            min_top = min_top.min(t);
        }
        for c in 0..nc {
            if self.span[c].is_some() {
                min_top = min_top.min(geometry.cluster_top[c]);
            }
        }
        if min_top.is_finite() {
            let shift = MARGIN - min_top;
            for t in &mut geometry.item_top {
                *t += shift;
            }
            for t in &mut geometry.cluster_top {
                *t += shift;
            }
        }
        geometry
    }

    fn finish(&self, graph: &Graph) -> Layout {
        // Rounds are linear in the items; a huge drawing gets fewer, to bound the time.
        let rounds = if self.items.len() > 100_000 {
            COORDINATE_ROUNDS / 3
        } else {
            COORDINATE_ROUNDS
        };
        let geometry = self.solve_y(rounds);
        let nc = graph.clusters.len();
        let layer_count = self.layers.len();

        // Column widths and the clusters' padding in the gaps.
        let mut col_w: Vec<f64> = vec![0.0; layer_count];
        for item in &self.items {
            col_w[item.layer] = col_w[item.layer].max(item.size.w);
        }
        let mut by_depth: Vec<usize> = (0..nc).filter(|&c| self.span[c].is_some()).collect();
        by_depth.sort_by_key(|&c| std::cmp::Reverse(self.tree.chain[c].len()));
        let mut ext_l = vec![0.0; nc];
        let mut ext_r = vec![0.0; nc];
        for &c in &by_depth {
            let (lo, hi) = self.span[c].unwrap_or((0, 0));
            let inner_l = self.tree.children[c]
                .iter()
                .filter(|&&d| self.span[d].is_some_and(|s| s.0 == lo))
                .map(|&d| ext_l[d])
                .fold(0.0, f64::max);
            let inner_r = self.tree.children[c]
                .iter()
                .filter(|&&d| self.span[d].is_some_and(|s| s.1 == hi))
                .map(|&d| ext_r[d])
                .fold(0.0, f64::max);
            ext_l[c] = CLUSTER_PAD + inner_l;
            ext_r[c] = CLUSTER_PAD + inner_r;
        }
        // A cluster in one column must be wide enough for its label.
        for &c in by_depth.iter().rev() {
            if let Some((lo, hi)) = self.span[c]
                && lo == hi
            {
                let need = graph.clusters[c].label.w + 2.0 * CLUSTER_HEADER_PAD;
                let have = col_w[lo] + ext_l[c] + ext_r[c];
                if need > have {
                    col_w[lo] += need - have;
                }
            }
        }
        let mut right_ext = vec![0.0f64; layer_count];
        let mut left_ext = vec![0.0f64; layer_count];
        for &c in &by_depth {
            let (lo, hi) = self.span[c].unwrap_or((0, 0));
            left_ext[lo] = left_ext[lo].max(ext_l[c]);
            right_ext[hi] = right_ext[hi].max(ext_r[c]);
        }
        let mut x_left = vec![0.0; layer_count];
        let mut x = MARGIN + left_ext.first().copied().unwrap_or(0.0);
        for l in 0..layer_count {
            x_left[l] = x;
            x += col_w[l];
            if l + 1 < layer_count {
                x += GAP + right_ext[l] + left_ext[l + 1];
            }
        }
        let width = x + right_ext.last().copied().unwrap_or(0.0) + MARGIN;

        let rect_of = |v: usize| {
            let item = &self.items[v];
            Rect {
                x: x_left[item.layer] + (col_w[item.layer] - item.size.w) / 2.0,
                y: geometry.item_top[v],
                w: item.size.w,
                h: item.size.h,
            }
        };
        let nodes: Vec<Rect> = (0..graph.nodes.len()).map(rect_of).collect();
        let clusters: Vec<Option<Rect>> = (0..nc)
            .map(|c| {
                self.span[c].map(|(lo, hi)| {
                    let x0 = x_left[lo] - ext_l[c];
                    let x1 = x_left[hi] + col_w[hi] + ext_r[c];
                    Rect {
                        x: x0,
                        y: geometry.cluster_top[c],
                        w: x1 - x0,
                        h: geometry.cluster_h[c],
                    }
                })
            })
            .collect();

        // Ports: edges leave a node's right side and enter its left side, spread over its height
        // in the order of where they go, `PORT_GAP` apart (the node was made tall enough).
        let center = |v: usize| geometry.item_top[v] + self.items[v].size.h / 2.0;
        let mut outs: Vec<Vec<(f64, usize)>> = vec![Vec::new(); graph.nodes.len()];
        let mut ins: Vec<Vec<(f64, usize)>> = vec![Vec::new(); graph.nodes.len()];
        for (e, entry) in self.edge_items.iter().enumerate() {
            if let Some(EdgeChain { items: chain, .. }) = entry {
                let (first, last) = (chain[0], chain[chain.len() - 1]);
                outs[first].push((center(chain[1]), e));
                ins[last].push((center(chain[chain.len() - 2]), e));
            }
        }
        let mut port_out_of_edge = vec![0.0; graph.edges.len()];
        let mut port_in_of_edge = vec![0.0; graph.edges.len()];
        for v in 0..graph.nodes.len() {
            let h = self.items[v].size.h;
            let c = center(v);
            for (list, ports) in [
                (&mut outs[v], &mut port_out_of_edge),
                (&mut ins[v], &mut port_in_of_edge),
            ] {
                list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let k = list.len();
                if k == 0 {
                    continue;
                }
                let step = if k > 1 {
                    (h * PORT_BAND / (k - 1) as f64).min(PORT_GAP)
                } else {
                    0.0
                };
                for (j, &(_, e)) in list.iter().enumerate() {
                    ports[e] = c + (j as f64 - (k - 1) as f64 / 2.0) * step;
                }
            }
        }

        let edges: Vec<Route> = graph
            .edges
            .iter()
            .enumerate()
            .map(|(e, edge)| match &self.edge_items[e] {
                None => Route {
                    self_loop: edge.source == edge.target && edge.source < graph.nodes.len(),
                    ..Route::default()
                },
                Some(EdgeChain {
                    items: chain,
                    reversed,
                    label,
                }) => {
                    let first = chain[0];
                    let last = chain[chain.len() - 1];
                    let (a, b) = (rect_of(first), rect_of(last));
                    let la = self.items[first].layer;
                    let lb = self.items[last].layer;
                    let mut runs = vec![Run {
                        x0: a.right(),
                        x1: x_left[la] + col_w[la],
                        y: port_out_of_edge[e],
                    }];
                    for &d in &chain[1..chain.len() - 1] {
                        let l = self.items[d].layer;
                        runs.push(Run {
                            x0: x_left[l],
                            x1: x_left[l] + col_w[l],
                            y: center(d),
                        });
                    }
                    runs.push(Run {
                        x0: x_left[lb],
                        x1: b.x,
                        y: port_in_of_edge[e],
                    });
                    Route {
                        runs,
                        label: label.map(rect_of),
                        reversed: *reversed,
                        self_loop: false,
                    }
                }
            })
            .collect();

        let mut height: f64 = 0.0;
        for r in nodes.iter().chain(clusters.iter().flatten()) {
            height = height.max(r.bottom());
        }
        for route in &edges {
            if let Some(l) = route.label {
                height = height.max(l.bottom());
            }
            for run in &route.runs {
                height = height.max(run.y);
            }
        }
        Layout {
            width: if graph.nodes.is_empty() {
                2.0 * MARGIN
            } else {
                width
            },
            height: height + MARGIN,
            nodes,
            clusters,
            edges,
            crossings: self.crossings,
        }
    }
}

struct Geometry {
    item_top: Vec<f64>,
    cluster_top: Vec<f64>,
    cluster_h: Vec<f64>,
}

/// Reverses the edges that go backwards in an order found by the greedy heuristic of Eades, Lin
/// and Smyth (sinks to the end, sources to the front, else the node with the most outgoing
/// minus incoming edges next): few reversed edges and short longest paths, unlike a
/// depth-first search. Ties break by index.
fn break_cycles(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    use std::collections::BTreeSet;
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut inn: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(s, t) in edges {
        out[s].push(t);
        inn[t].push(s);
    }
    let mut outdeg: Vec<i64> = out.iter().map(|o| o.len() as i64).collect();
    let mut indeg: Vec<i64> = inn.iter().map(|i| i.len() as i64).collect();
    let mut removed = vec![false; n];
    // Nodes by (incoming - outgoing, index): the first has the most outgoing surplus.
    let mut by_delta: BTreeSet<(i64, usize)> = (0..n).map(|v| (indeg[v] - outdeg[v], v)).collect();
    let mut sinks: BTreeSet<usize> = (0..n).filter(|&v| outdeg[v] == 0).collect();
    let mut sources: BTreeSet<usize> = (0..n).filter(|&v| indeg[v] == 0 && outdeg[v] > 0).collect();
    let mut front = Vec::with_capacity(n);
    let mut back = Vec::with_capacity(n);
    let mut left = n;
    while left > 0 {
        let (v, to_front) = if let Some(&v) = sinks.iter().next() {
            (v, false)
        } else if let Some(&v) = sources.iter().next() {
            (v, true)
        } else {
            let &(_, v) = by_delta.iter().next().expect("nodes are left");
            (v, true)
        };
        removed[v] = true;
        left -= 1;
        by_delta.remove(&(indeg[v] - outdeg[v], v));
        sinks.remove(&v);
        sources.remove(&v);
        if to_front {
            front.push(v);
        } else {
            back.push(v);
        }
        for &w in &out[v] {
            if removed[w] {
                continue;
            }
            by_delta.remove(&(indeg[w] - outdeg[w], w));
            indeg[w] -= 1;
            by_delta.insert((indeg[w] - outdeg[w], w));
            if indeg[w] == 0 && outdeg[w] > 0 {
                sources.insert(w);
            }
        }
        for &u in &inn[v] {
            if removed[u] {
                continue;
            }
            by_delta.remove(&(indeg[u] - outdeg[u], u));
            outdeg[u] -= 1;
            by_delta.insert((indeg[u] - outdeg[u], u));
            if outdeg[u] == 0 {
                sources.remove(&u);
                sinks.insert(u);
            }
        }
    }
    back.reverse();
    front.extend(back);
    let mut place = vec![0usize; n];
    for (i, &v) in front.iter().enumerate() {
        place[v] = i;
    }
    edges.iter().map(|&(s, t)| place[s] > place[t]).collect()
}

/// Ranks (in units of two layers) by blocks: the members of each cluster (its own nodes, and its
/// nested clusters as blocks as wide as their own layering) are layered on their own, bottom up,
/// with an edge between two members needing the head to start after the whole tail. A boundary
/// is then a contiguous band of columns, and boundaries joined by flows stand side by side
/// rather than stacked. Also returns which edges are reversed to break cycles.
fn block_ranks(
    n: usize,
    node_cluster: &[Option<usize>],
    tree: &Tree,
    edges: &[(usize, usize)],
) -> (Vec<usize>, Vec<bool>) {
    let nc = tree.chain.len();
    let root = nc;
    let mut has_nodes = vec![false; nc];
    for c in node_cluster.iter().flatten() {
        for &a in &tree.chain[*c] {
            has_nodes[a] = true;
        }
    }
    let mut members: Vec<Vec<Member>> = vec![Vec::new(); nc + 1];
    let mut local_of_node = vec![0usize; n];
    let mut local_of_cluster = vec![0usize; nc];
    for v in 0..n {
        let p = node_cluster[v].unwrap_or(root);
        local_of_node[v] = members[p].len();
        members[p].push(Member::Item(v));
    }
    for c in 0..nc {
        if has_nodes[c] {
            let p = tree.parent[c].unwrap_or(root);
            local_of_cluster[c] = members[p].len();
            members[p].push(Member::Sub(c));
        }
    }
    // Each edge belongs to the level where its ends part: (tail member, head member, edge).
    let mut level_edges: Vec<Vec<(usize, usize, usize)>> = vec![Vec::new(); nc + 1];
    for (e, &(s, t)) in edges.iter().enumerate() {
        let cs: &[usize] = node_cluster[s].map_or(&[], |c| &tree.chain[c]);
        let ct: &[usize] = node_cluster[t].map_or(&[], |c| &tree.chain[c]);
        let common = cs.iter().zip(ct).take_while(|(a, b)| a == b).count();
        let level = if common == 0 { root } else { cs[common - 1] };
        let ms = if cs.len() > common {
            local_of_cluster[cs[common]]
        } else {
            local_of_node[s]
        };
        let mt = if ct.len() > common {
            local_of_cluster[ct[common]]
        } else {
            local_of_node[t]
        };
        if ms != mt {
            level_edges[level].push((ms, mt, e));
        }
    }
    let mut reversed = vec![false; edges.len()];
    let mut local_rank: Vec<Vec<i64>> = vec![Vec::new(); nc + 1];
    let mut width = vec![1i64; nc];
    let mut order: Vec<usize> = (0..nc).filter(|&c| has_nodes[c]).collect();
    order.sort_by_key(|&c| std::cmp::Reverse(tree.chain[c].len()));
    order.push(root);
    for &p in &order {
        let list = &members[p];
        let size_of = |m: &Member| match *m {
            Member::Item(_) => 1,
            Member::Sub(c) => width[c],
        };
        let pairs: Vec<(usize, usize)> = level_edges[p].iter().map(|&(a, b, _)| (a, b)).collect();
        let rev = break_cycles(list.len(), &pairs);
        let constrained: Vec<(usize, usize, i64)> = pairs
            .iter()
            .zip(&rev)
            .map(|(&(a, b), &r)| {
                let (x, y) = if r { (b, a) } else { (a, b) };
                (x, y, size_of(&list[x]))
            })
            .collect();
        for (&(_, _, e), &r) in level_edges[p].iter().zip(&rev) {
            reversed[e] = r;
        }
        let r = ranks(list.len(), &constrained);
        if p < nc {
            width[p] = list
                .iter()
                .zip(&r)
                .map(|(m, &r)| r + size_of(m))
                .max()
                .unwrap_or(1);
        }
        local_rank[p] = r;
    }
    let mut offset = vec![0i64; nc];
    let mut rank = vec![0usize; n];
    order.reverse();
    for p in order {
        let base = if p == root { 0 } else { offset[p] };
        for (i, m) in members[p].iter().enumerate() {
            let r = base + local_rank[p][i];
            match *m {
                Member::Item(v) => rank[v] = r.max(0) as usize,
                Member::Sub(c) => offset[c] = r,
            }
        }
    }
    (rank, reversed)
}

/// Ranks of an acyclic graph whose edges `(tail, head, minlen)` need `head - tail >= minlen`:
/// longest path, then network simplex; the smallest rank is 0.
fn ranks(n: usize, edges: &[(usize, usize, i64)]) -> Vec<i64> {
    let mut out: Vec<Vec<(usize, i64)>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for &(s, t, m) in edges {
        out[s].push((t, m));
        indegree[t] += 1;
    }
    let mut queue: std::collections::VecDeque<usize> =
        (0..n).filter(|&v| indegree[v] == 0).collect();
    let mut rank = vec![0i64; n];
    while let Some(v) = queue.pop_front() {
        for &(w, m) in &out[v] {
            rank[w] = rank[w].max(rank[v] + m);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                queue.push_back(w);
            }
        }
    }
    network_simplex(n, edges, &mut rank);
    let min = rank.iter().copied().min().unwrap_or(0);
    rank.into_iter().map(|r| r - min).collect()
}

/// Network simplex (Gansner, Koutsofios, North, Vo 1993): from a feasible ranking, ranks that
/// minimize the total length of the edges, so that a source sits next to its successors and a
/// cluster's members next to each other. Run per connected component, with a fixed budget of
/// exchanges (the ranking stays feasible whenever it stops).
fn network_simplex(n: usize, edges: &[(usize, usize, i64)], rank: &mut [i64]) {
    // Merge parallel edges into weights (keeping the longest minimum length).
    let mut owned: Vec<(usize, usize, i64)> = Vec::with_capacity(edges.len());
    let mut minlen: Vec<i64> = Vec::with_capacity(edges.len());
    let mut sorted: Vec<(usize, usize, i64)> = edges.to_vec();
    sorted.sort_unstable();
    for (s, t, m) in sorted {
        match owned.last_mut() {
            Some(last) if last.0 == s && last.1 == t => {
                last.2 += 1;
                let k = minlen.len() - 1;
                minlen[k] = minlen[k].max(m);
            }
            _ => {
                owned.push((s, t, 1));
                minlen.push(m);
            }
        }
    }
    let merged = &owned;
    let minlen = &minlen;
    let mut incident: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (e, &(s, t, _)) in merged.iter().enumerate() {
        incident[s].push(e);
        incident[t].push(e);
    }
    let slack = |rank: &[i64], e: usize| {
        let (s, t, _) = merged[e];
        rank[t] - rank[s] - minlen[e]
    };
    let mut component = vec![usize::MAX; n];
    let mut budget = SIMPLEX_BUDGET;
    for root in 0..n {
        if component[root] != usize::MAX {
            continue;
        }
        // The component's nodes and edges.
        let mut nodes = vec![root];
        component[root] = root;
        let mut k = 0;
        while k < nodes.len() {
            let v = nodes[k];
            k += 1;
            for &e in &incident[v] {
                let (s, t, _) = merged[e];
                let w = if s == v { t } else { s };
                if component[w] == usize::MAX {
                    component[w] = root;
                    nodes.push(w);
                }
            }
        }
        if nodes.len() < 2 {
            continue;
        }
        let mut comp_edges: Vec<usize> = nodes
            .iter()
            .flat_map(|&v| {
                incident[v]
                    .iter()
                    .copied()
                    .filter(move |&e| merged[e].0 == v)
            })
            .collect();
        comp_edges.sort_unstable();

        // A feasible tree of tight edges: grow it, shifting its ranks to make the edge of least
        // slack to it tight when none is.
        let mut in_tree = vec![false; n];
        let mut tree_adj: Vec<Vec<usize>> = vec![Vec::new(); n];
        in_tree[root] = true;
        let mut tree_nodes = vec![root];
        loop {
            let mut stack = tree_nodes.clone();
            while let Some(v) = stack.pop() {
                for &e in &incident[v] {
                    let (s, t, _) = merged[e];
                    let w = if s == v { t } else { s };
                    if !in_tree[w] && slack(rank, e) == 0 {
                        in_tree[w] = true;
                        tree_nodes.push(w);
                        tree_adj[v].push(w);
                        tree_adj[w].push(v);
                        stack.push(w);
                    }
                }
            }
            if tree_nodes.len() == nodes.len() {
                break;
            }
            let mut best: Option<(i64, usize)> = None;
            for &e in &comp_edges {
                let (s, t, _) = merged[e];
                if in_tree[s] != in_tree[t] {
                    let sl = slack(rank, e);
                    if best.is_none_or(|(b, _)| sl < b) {
                        best = Some((sl, e));
                    }
                }
            }
            let Some((sl, e)) = best else { break };
            let delta = if in_tree[merged[e].0] { sl } else { -sl };
            for &v in &tree_nodes {
                rank[v] += delta;
            }
        }
        if tree_nodes.len() < nodes.len() {
            continue;
        }

        // Cut values, from postorder numbers (`low`..=`lim` are a subtree's numbers).
        let mut parent = vec![usize::MAX; n];
        let mut low = vec![0usize; n];
        let mut lim = vec![0usize; n];
        let mut cut = vec![0i64; n];
        let number = |tree_adj: &[Vec<usize>],
                      parent: &mut [usize],
                      low: &mut [usize],
                      lim: &mut [usize]|
         -> Vec<usize> {
            let mut post = Vec::with_capacity(nodes.len());
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            parent[root] = usize::MAX;
            let mut next = 1;
            let mut lows: Vec<usize> = vec![next];
            while let Some(&mut (v, ref mut i)) = stack.last_mut() {
                if *i < tree_adj[v].len() {
                    let w = tree_adj[v][*i];
                    *i += 1;
                    if w != parent[v] {
                        parent[w] = v;
                        stack.push((w, 0));
                        lows.push(next);
                    }
                } else {
                    stack.pop();
                    low[v] = lows.pop().unwrap_or(next);
                    lim[v] = next;
                    next += 1;
                    post.push(v);
                }
            }
            post
        };
        let cut_values = |post: &[usize], parent: &[usize], cut: &mut [i64]| {
            for &child in post {
                let p = parent[child];
                if p == usize::MAX {
                    continue;
                }
                // The graph edge between child and parent, and whether child is its tail.
                let mut child_is_tail = true;
                let mut value = 0;
                for &e in &incident[child] {
                    let (s, t, w) = merged[e];
                    if (s == child && t == p) || (s == p && t == child) {
                        child_is_tail = s == child;
                        value = w;
                        break;
                    }
                }
                for &e in &incident[child] {
                    let (s, t, w) = merged[e];
                    let is_out = s == child;
                    let other = if is_out { t } else { s };
                    if other == p {
                        continue;
                    }
                    let points_to_head = is_out == child_is_tail;
                    value += if points_to_head { w } else { -w };
                    if parent[other] == child {
                        value += if points_to_head {
                            -cut[other]
                        } else {
                            cut[other]
                        };
                    }
                }
                cut[child] = value;
            }
        };
        let mut post = number(&tree_adj, &mut parent, &mut low, &mut lim);
        cut_values(&post, &parent, &mut cut);

        while budget > 0 {
            // Leave: the first tree edge (by node order) with a negative cut value.
            let Some(&leave) = nodes
                .iter()
                .filter(|&&v| parent[v] != usize::MAX && cut[v] < 0)
                .min()
            else {
                break;
            };
            budget -= 1;
            let p = parent[leave];
            // Orient as the graph edge: v tail, w head.
            let (v, w) = if incident[leave]
                .iter()
                .any(|&e| merged[e].0 == leave && merged[e].1 == p)
            {
                (leave, p)
            } else {
                (p, leave)
            };
            let (tail, flip) = if lim[v] > lim[w] {
                (w, true)
            } else {
                (v, false)
            };
            let under = |x: usize| low[tail] <= lim[x] && lim[x] <= lim[tail];
            // Enter: the edge of least slack across the cut, the other way.
            let mut enter: Option<(i64, usize)> = None;
            for &e in &comp_edges {
                let (s, t, _) = merged[e];
                if flip == under(s) && flip != under(t) {
                    let sl = slack(rank, e);
                    if enter.is_none_or(|(b, _)| sl < b) {
                        enter = Some((sl, e));
                    }
                }
            }
            let Some((_, e)) = enter else { break };
            let (s, t, _) = merged[e];
            tree_adj[leave].retain(|&x| x != p);
            tree_adj[p].retain(|&x| x != leave);
            tree_adj[s].push(t);
            tree_adj[t].push(s);
            post = number(&tree_adj, &mut parent, &mut low, &mut lim);
            cut_values(&post, &parent, &mut cut);
            // Ranks from the root along the tree (reverse postorder visits parents first).
            for &x in post.iter().rev() {
                let px = parent[x];
                if px == usize::MAX {
                    continue;
                }
                for &e in &incident[x] {
                    let (s, t, _) = merged[e];
                    if s == px && t == x {
                        rank[x] = rank[px] + minlen[e];
                        break;
                    }
                    if s == x && t == px {
                        rank[x] = rank[px] - minlen[e];
                        break;
                    }
                }
            }
        }
    }
}

/// Pool-adjacent-violators: the closest non-decreasing sequence to the weighted keys. Entries
/// of weight 0 take the pooled value before them (or after, at the start).
fn pool_monotone(keys: &[(f64, f64)]) -> Vec<f64> {
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new(); // weighted sum, weight, count
    for &(k, w) in keys.iter().filter(|(_, w)| *w > 0.0) {
        blocks.push((k * w, w, 1));
        while blocks.len() >= 2 {
            let (s2, w2, c2) = blocks[blocks.len() - 1];
            let (s1, w1, c1) = blocks[blocks.len() - 2];
            if s1 / w1 > s2 / w2 {
                blocks.pop();
                let last = blocks.len() - 1;
                blocks[last] = (s1 + s2, w1 + w2, c1 + c2);
            } else {
                break;
            }
        }
    }
    let mut keyed = Vec::new();
    for (s, w, c) in blocks {
        keyed.extend(std::iter::repeat_n(s / w, c));
    }
    let first = keyed.first().copied().unwrap_or(0.0);
    let mut out = Vec::with_capacity(keys.len());
    let mut next = keyed.into_iter();
    let mut last = first;
    for &(_, w) in keys {
        if w > 0.0 {
            last = next.next().unwrap_or(last);
        }
        out.push(last);
    }
    out
}

/// Positions as close as possible to `want` (weighted least squares) under constraints
/// `y[right] >= y[left] + gap`, where every constraint goes from a lower to a higher index: the
/// block-merging "satisfy" pass of VPSC (Dwyer, Marriott, Stuckey 2006).
fn satisfy(want: &[f64], weight: &[f64], constraints: &[(usize, usize, f64)]) -> Vec<f64> {
    let n = want.len();
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, &(_, r, _)) in constraints.iter().enumerate() {
        incoming[r].push(k);
    }
    struct Block {
        vars: Vec<usize>,
        w: f64,
        wd: f64,
        incoming: Vec<usize>,
    }
    let mut blocks: Vec<Block> = Vec::with_capacity(n);
    let mut block_of = vec![0usize; n];
    let mut offset = vec![0.0; n];
    let posn = |b: &Block| b.wd / b.w;
    for v in 0..n {
        let mut b = blocks.len();
        blocks.push(Block {
            vars: vec![v],
            w: weight[v],
            wd: weight[v] * want[v],
            incoming: std::mem::take(&mut incoming[v]),
        });
        block_of[v] = b;
        loop {
            let here = posn(&blocks[b]);
            let mut worst: Option<(f64, usize)> = None;
            let list = std::mem::take(&mut blocks[b].incoming);
            let mut kept = Vec::with_capacity(list.len());
            for k in list {
                let (l, r, gap) = constraints[k];
                if block_of[l] == b {
                    continue;
                }
                kept.push(k);
                let violation = posn(&blocks[block_of[l]]) + offset[l] + gap - (here + offset[r]);
                if violation > 1e-9 && worst.is_none_or(|(w, _)| violation > w) {
                    worst = Some((violation, k));
                }
            }
            blocks[b].incoming = kept;
            let Some((_, k)) = worst else { break };
            let (l, r, gap) = constraints[k];
            let a = block_of[l];
            // Make the constraint tight: shift the smaller block's offsets into the other's frame.
            let delta = offset[r] - gap - offset[l];
            let (keep, merge, shift) = if blocks[a].vars.len() > blocks[b].vars.len() {
                (a, b, -delta)
            } else {
                (b, a, delta)
            };
            let moved = std::mem::take(&mut blocks[merge].vars);
            for &x in &moved {
                offset[x] += shift;
                block_of[x] = keep;
            }
            let (mw, mwd) = (blocks[merge].w, blocks[merge].wd);
            let mut inc = std::mem::take(&mut blocks[merge].incoming);
            let target = &mut blocks[keep];
            target.vars.extend(moved);
            target.w += mw;
            target.wd += mwd - mw * shift;
            target.incoming.append(&mut inc);
            b = keep;
        }
    }
    (0..n)
        .map(|v| posn(&blocks[block_of[v]]) + offset[v])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible pseudo-random generator for test graphs.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }
    }

    fn node(w: f64, cluster: Option<usize>) -> Node {
        Node {
            size: Size { w, h: 40.0 },
            cluster,
        }
    }

    fn label() -> Option<Size> {
        Some(Size { w: 70.0, h: 26.0 })
    }

    /// Labelled edges from (source, target) pairs.
    fn edges(pairs: &[(usize, usize)]) -> Vec<Edge> {
        pairs
            .iter()
            .map(|&(source, target)| Edge {
                source,
                target,
                label: label(),
            })
            .collect()
    }

    /// Nested clusters: `clusters` of them, each inside an earlier one or at the top; nodes
    /// spread over the clusters and the top level; edges at random.
    fn random_graph(seed: u64, nodes: usize, clusters: usize, edges: usize) -> Graph {
        let mut rng = Rng(seed);
        let clusters: Vec<Cluster> = (0..clusters)
            .map(|c| Cluster {
                parent: if c == 0 || rng.below(3) == 0 {
                    None
                } else {
                    Some(rng.below(c))
                },
                label: Size {
                    w: 60.0 + rng.below(80) as f64,
                    h: 16.0,
                },
            })
            .collect();
        let nc = clusters.len();
        let nodes: Vec<Node> = (0..nodes)
            .map(|_| {
                let c = rng.below(nc + 2);
                node(80.0 + rng.below(60) as f64, (c < nc).then_some(c))
            })
            .collect();
        let n = nodes.len();
        let edges = (0..edges)
            .map(|_| Edge {
                source: rng.below(n),
                target: rng.below(n),
                label: if rng.below(4) == 0 { None } else { label() },
            })
            .collect();
        Graph {
            nodes,
            clusters,
            edges,
        }
    }

    fn ancestors(graph: &Graph, mut c: Option<usize>) -> Vec<usize> {
        let mut out = Vec::new();
        while let Some(x) = c {
            out.push(x);
            c = graph.clusters[x].parent;
        }
        out
    }

    /// Every invariant the renderer relies on.
    fn check(graph: &Graph, layout: &Layout) {
        let nodes = &layout.nodes;
        for i in 0..nodes.len() {
            for j in i + 1..nodes.len() {
                assert!(
                    !nodes[i].overlaps(&nodes[j]),
                    "nodes {i} and {j} overlap: {:?} {:?}",
                    nodes[i],
                    nodes[j]
                );
            }
            // Inside every cluster it is in, outside every other.
            let inside = ancestors(graph, graph.nodes[i].cluster);
            for (c, rect) in layout.clusters.iter().enumerate() {
                let Some(rect) = rect else { continue };
                if inside.contains(&c) {
                    assert!(
                        rect.contains(&nodes[i], 1.0),
                        "node {i} not inside cluster {c}: {:?} {:?}",
                        nodes[i],
                        rect
                    );
                } else {
                    assert!(!rect.overlaps(&nodes[i]), "node {i} overlaps cluster {c}");
                }
            }
        }
        for (c, rect) in layout.clusters.iter().enumerate() {
            let Some(rect) = rect else { continue };
            assert!(rect.w > 0.0 && rect.h > 0.0);
            if let Some(p) = graph.clusters[c].parent {
                let parent = layout.clusters[p].expect("a parent of a drawn cluster is drawn");
                assert!(
                    parent.contains(rect, 1.0),
                    "cluster {c} not inside {p}: {rect:?} {parent:?}"
                );
            }
            for (d, other) in layout.clusters.iter().enumerate().skip(c + 1) {
                let Some(other) = other else { continue };
                let nested = ancestors(graph, Some(c)).contains(&d)
                    || ancestors(graph, Some(d)).contains(&c);
                if !nested {
                    assert!(
                        !rect.overlaps(other),
                        "clusters {c} and {d} overlap: {rect:?} {other:?}"
                    );
                }
            }
        }
        let labels: Vec<Rect> = layout.edges.iter().filter_map(|r| r.label).collect();
        for (i, l) in labels.iter().enumerate() {
            for n in nodes {
                assert!(!l.overlaps(n), "label {l:?} overlaps node {n:?}");
            }
            for m in &labels[i + 1..] {
                assert!(!l.overlaps(m), "labels overlap: {l:?} {m:?}");
            }
        }
        // Horizontal runs cross no node but their own ends.
        for (e, route) in layout.edges.iter().enumerate() {
            let edge = &graph.edges[e];
            for run in &route.runs {
                assert!(run.x0 <= run.x1 + 1e-9, "run goes backwards: {run:?}");
                for (i, n) in nodes.iter().enumerate() {
                    if i == edge.source || i == edge.target {
                        continue;
                    }
                    let crosses =
                        run.y > n.y && run.y < n.bottom() && run.x0 < n.right() && run.x1 > n.x;
                    assert!(!crosses, "edge {e} runs through node {i}");
                }
            }
            for pair in route.runs.windows(2) {
                assert!(pair[0].x1 < pair[1].x0, "runs out of order in edge {e}");
            }
        }
        assert!(layout.width > 0.0 && layout.height > 0.0);
        for r in nodes.iter().chain(layout.clusters.iter().flatten()) {
            assert!(
                r.x >= 0.0
                    && r.y >= 0.0
                    && r.right() <= layout.width
                    && r.bottom() <= layout.height
            );
        }
    }

    #[test]
    fn a_chain_is_one_straight_line() {
        let graph = Graph {
            nodes: (0..4).map(|_| node(90.0, None)).collect(),
            clusters: vec![],
            edges: (0..3)
                .map(|i| Edge {
                    source: i,
                    target: i + 1,
                    label: label(),
                })
                .collect(),
        };
        let layout = layout(&graph);
        check(&graph, &layout);
        let y = layout.nodes[0].y;
        for n in &layout.nodes {
            assert!((n.y - y).abs() < 0.5, "{:?}", layout.nodes);
        }
        for pair in layout.nodes.windows(2) {
            assert!(pair[0].right() < pair[1].x);
        }
        assert_eq!(layout.crossings, 0);
    }

    #[test]
    fn a_fan_is_centered_on_its_source() {
        let graph = Graph {
            nodes: (0..4).map(|_| node(90.0, None)).collect(),
            clusters: vec![],
            edges: (1..4)
                .map(|i| Edge {
                    source: 0,
                    target: i,
                    label: None,
                })
                .collect(),
        };
        let layout = layout(&graph);
        check(&graph, &layout);
        let middle = layout.nodes[1..].iter().map(Rect::cy).sum::<f64>() / 3.0;
        assert!(
            (layout.nodes[0].cy() - middle).abs() < 1.0,
            "{:?}",
            layout.nodes
        );
    }

    #[test]
    fn cycles_are_drawn_with_one_edge_reversed() {
        let graph = Graph {
            nodes: (0..3).map(|_| node(90.0, None)).collect(),
            clusters: vec![],
            edges: edges(&[(0, 1), (1, 2), (2, 0), (1, 1)]),
        };
        let layout = layout(&graph);
        check(&graph, &layout);
        let reversed: Vec<bool> = layout.edges.iter().map(|r| r.reversed).collect();
        assert_eq!(reversed, [false, false, true, false]);
        assert!(layout.edges[3].self_loop);
    }

    #[test]
    fn a_tree_has_no_crossings() {
        // A binary tree, its nodes listed in an order that would cross if kept.
        let n = 15;
        let graph = Graph {
            nodes: (0..n).map(|_| node(80.0, None)).collect(),
            clusters: vec![],
            edges: (1..n)
                .rev()
                .map(|i| Edge {
                    source: (i - 1) / 2,
                    target: i,
                    label: label(),
                })
                .collect(),
        };
        let layout = layout(&graph);
        check(&graph, &layout);
        assert_eq!(layout.crossings, 0);
    }

    #[test]
    fn clusters_nest_and_hold_their_nodes() {
        // Two sibling clusters inside an outer one, each with a chain, and flows across.
        let clusters = vec![
            Cluster {
                parent: None,
                label: Size { w: 120.0, h: 16.0 },
            },
            Cluster {
                parent: Some(0),
                label: Size { w: 300.0, h: 16.0 },
            },
            Cluster {
                parent: Some(0),
                label: Size { w: 80.0, h: 16.0 },
            },
        ];
        let nodes = vec![
            node(80.0, None),
            node(80.0, Some(1)),
            node(80.0, Some(1)),
            node(80.0, Some(2)),
            node(80.0, Some(2)),
            node(80.0, Some(0)),
            node(80.0, None),
        ];
        let edges = vec![
            Edge {
                source: 0,
                target: 1,
                label: label(),
            },
            Edge {
                source: 1,
                target: 2,
                label: label(),
            },
            Edge {
                source: 0,
                target: 3,
                label: label(),
            },
            Edge {
                source: 3,
                target: 4,
                label: label(),
            },
            Edge {
                source: 2,
                target: 5,
                label: label(),
            },
            Edge {
                source: 4,
                target: 6,
                label: label(),
            },
            Edge {
                source: 5,
                target: 6,
                label: None,
            },
        ];
        let graph = Graph {
            nodes,
            clusters,
            edges,
        };
        let layout = layout(&graph);
        check(&graph, &layout);
        // The one-column cluster is wide enough for its long label.
        let wide = layout.clusters[1].unwrap();
        assert!(wide.w >= 300.0, "{wide:?}");
    }

    #[test]
    fn random_compound_graphs_keep_every_invariant() {
        for seed in 1..150u64 {
            let graph = random_graph(
                seed * 7919,
                5 + (seed as usize * 3) % 40,
                (seed as usize) % 9,
                4 + (seed as usize * 5) % 60,
            );
            let layout = layout(&graph);
            check(&graph, &layout);
        }
    }

    #[test]
    fn boundaries_joined_by_flows_stand_side_by_side() {
        // Three sibling clusters in a pipeline, each with two nodes in a chain.
        let clusters = (0..3)
            .map(|_| Cluster {
                parent: None,
                label: Size { w: 60.0, h: 16.0 },
            })
            .collect();
        let nodes = (0..6).map(|i| node(90.0, Some(i / 2))).collect();
        let edges = edges(&[(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 4)]);
        let graph = Graph {
            nodes,
            clusters,
            edges,
        };
        let layout = layout(&graph);
        check(&graph, &layout);
        let rects: Vec<Rect> = layout.clusters.iter().map(|c| c.unwrap()).collect();
        assert!(
            rects[0].right() < rects[1].x && rects[1].right() < rects[2].x,
            "{rects:?}"
        );
    }

    #[test]
    fn layout_is_deterministic() {
        let graph = random_graph(42, 40, 7, 70);
        let a = format!("{:?}", layout(&graph));
        let b = format!("{:?}", layout(&graph.clone()));
        assert_eq!(a, b);
    }

    #[test]
    fn broken_cluster_trees_are_cut_not_followed() {
        let graph = Graph {
            nodes: vec![
                node(80.0, Some(0)),
                node(80.0, Some(1)),
                node(80.0, Some(7)),
            ],
            clusters: vec![
                Cluster {
                    parent: Some(1),
                    label: Size { w: 40.0, h: 16.0 },
                },
                Cluster {
                    parent: Some(0),
                    label: Size { w: 40.0, h: 16.0 },
                },
            ],
            edges: vec![
                Edge {
                    source: 0,
                    target: 1,
                    label: None,
                },
                Edge {
                    source: 2,
                    target: 9,
                    label: None,
                },
            ],
        };
        let layout = layout(&graph);
        assert_eq!(layout.nodes.len(), 3);
        assert!(layout.clusters.iter().all(Option::is_some));
    }

    #[test]
    fn empty_graph() {
        let layout = layout(&Graph::default());
        assert!(layout.nodes.is_empty());
        assert!(layout.width > 0.0);
    }

    #[test]
    fn large_graphs_stay_fast_enough() {
        // A thousand nodes, flat: a smoke test of the bounds (the benchmark measures time).
        let graph = random_graph(7, 1000, 0, 2000);
        let layout = layout(&graph);
        assert_eq!(layout.nodes.len(), 1000);
    }

    #[test]
    fn edges_into_a_busy_node_fan_out_each_on_its_own_line() {
        // Eight callers of one service, each flow labelled.
        let mut nodes: Vec<Node> = (0..8).map(|_| node(100.0, None)).collect();
        nodes.push(node(100.0, None));
        let pairs: Vec<(usize, usize)> = (0..8).map(|i| (i, 8)).collect();
        let graph = Graph {
            nodes,
            clusters: Vec::new(),
            edges: edges(&pairs),
        };
        let layout = layout(&graph);
        check(&graph, &layout);
        let hub = layout.nodes[8];
        let mut ends: Vec<f64> = layout
            .edges
            .iter()
            .map(|r| r.runs.last().expect("runs").y)
            .collect();
        ends.sort_by(f64::total_cmp);
        for pair in ends.windows(2) {
            assert!(
                pair[1] - pair[0] >= PORT_GAP - 0.01,
                "ports too close: {ends:?}"
            );
        }
        // The node grew to hold them, and they all end on its side.
        assert!(hub.h >= 7.0 * PORT_GAP, "{hub:?}");
        assert!(
            ends.iter().all(|&y| y > hub.y && y < hub.bottom()),
            "{ends:?} {hub:?}"
        );
        // Each label sits on its own edge: the edge passes through it, and no two labels overlap.
        for route in &layout.edges {
            let label = route.label.expect("a label");
            assert!(
                route
                    .runs
                    .iter()
                    .any(|r| r.y >= label.y && r.y <= label.bottom()),
                "{route:?}"
            );
        }
    }

    #[test]
    fn pooling_makes_keys_monotone() {
        let pooled = pool_monotone(&[(3.0, 1.0), (1.0, 1.0), (0.0, 0.0), (5.0, 2.0)]);
        assert_eq!(pooled, vec![2.0, 2.0, 2.0, 5.0]);
    }

    #[test]
    fn satisfy_centers_a_crowded_chain() {
        let y = satisfy(
            &[60.0, 60.0, 60.0],
            &[1.0, 1.0, 1.0],
            &[(0, 1, 60.0), (1, 2, 60.0)],
        );
        assert_eq!(y, vec![0.0, 60.0, 120.0]);
    }
}
