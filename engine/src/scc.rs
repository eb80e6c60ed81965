//! Strongly connected components with an iterative Tarjan's algorithm.
//!
//! Import graphs are user-sized and cycles are normal, so this never recurses: the DFS
//! keeps its own stack of (node, next-successor) frames.

/// The strongly connected components of the graph given by its successor lists, each
/// sorted, in Tarjan's natural order: a component comes before every component that
/// reaches it (dependencies before dependents).
pub fn strongly_connected_components(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let node_count = successors.len();
    let mut index_of = vec![UNVISITED; node_count];
    let mut low_link = vec![0; node_count];
    let mut on_stack = vec![false; node_count];
    let mut stack: Vec<usize> = Vec::new();
    let mut components = Vec::new();
    let mut next_index = 0;
    let mut frames: Vec<(usize, usize)> = Vec::new();

    for start in 0..node_count {
        if index_of[start] != UNVISITED {
            continue;
        }
        frames.push((start, 0));
        while let Some(&mut (node, ref mut next_successor)) = frames.last_mut() {
            if *next_successor == 0 && index_of[node] == UNVISITED {
                index_of[node] = next_index;
                low_link[node] = next_index;
                next_index += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&successor) = successors[node].get(*next_successor) {
                *next_successor += 1;
                if index_of[successor] == UNVISITED {
                    frames.push((successor, 0));
                } else if on_stack[successor] {
                    low_link[node] = low_link[node].min(index_of[successor]);
                }
                continue;
            }
            // All successors done: close the node.
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low_link[parent] = low_link[parent].min(low_link[node]);
            }
            if low_link[node] == index_of[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort_unstable();
                components.push(component);
            }
        }
    }
    components
}

/// The import cycles among them: the strongly connected components of more than one
/// node, and the nodes with an edge to themselves. In Tarjan's order.
pub fn cyclic_components(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    strongly_connected_components(successors)
        .into_iter()
        .filter(|component| component.len() > 1 || successors[component[0]].contains(&component[0]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cyclic(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
        let mut found = cyclic_components(successors);
        found.sort();
        found
    }

    #[test]
    fn finds_cycles_of_every_size() {
        assert_eq!(cyclic(&[vec![0]]), vec![vec![0]]);
        assert_eq!(cyclic(&[vec![1], vec![0]]), vec![vec![0, 1]]);
        assert_eq!(cyclic(&[vec![1], vec![2], vec![0], vec![0]]), vec![vec![0, 1, 2]]);
        assert_eq!(cyclic(&[vec![1], vec![2], vec![]]), Vec::<Vec<usize>>::new());
        assert_eq!(cyclic(&[vec![1], vec![0], vec![3], vec![2, 1]]), vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let n = 200_000;
        let mut successors: Vec<Vec<usize>> = (0..n).map(|i| vec![i + 1]).collect();
        successors[n - 1] = vec![0];
        let components = strongly_connected_components(&successors);
        assert_eq!(components.len(), 1);
        assert_eq!(components[0].len(), n);
    }

    #[test]
    fn sinks_come_first() {
        // 0 → 1 → 2: Tarjan emits 2, then 1, then 0.
        assert_eq!(strongly_connected_components(&[vec![1], vec![2], vec![]]), vec![vec![2], vec![1], vec![0]]);
    }
}
