//! The earliest few of many: a bounded collection that keeps the `cap` least items pushed into it,
//! whatever order they came in. Roll-ups keep their first hits whole with it, and the pivot sweep
//! its timeline lines and restored findings, so that what a capped scan reports does not depend
//! on which thread read which file first.

use std::collections::BinaryHeap;

pub struct Earliest<T: Ord> {
    cap: usize,
    /// The kept items, the greatest on top.
    heap: BinaryHeap<T>,
}

impl<T: Ord> Earliest<T> {
    pub fn new(cap: usize) -> Earliest<T> {
        Earliest {
            cap,
            heap: BinaryHeap::new(),
        }
    }

    /// Keeps `item` if it is among the `cap` least so far. Returns what is not kept: `item`
    /// itself, or the kept item it pushed out.
    pub fn push(&mut self, item: T) -> Option<T> {
        if self.heap.len() < self.cap {
            self.heap.push(item);
            return None;
        }
        match self.heap.peek() {
            Some(top) if *top > item => {
                let out = self.heap.pop();
                self.heap.push(item);
                out
            }
            _ => Some(item),
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    pub fn shrink_to_fit(&mut self) {
        self.heap.shrink_to_fit();
    }

    /// The kept items, least first.
    pub fn into_sorted_vec(self) -> Vec<T> {
        self.heap.into_sorted_vec()
    }

    /// The kept items, in no particular order.
    pub fn into_vec(self) -> Vec<T> {
        self.heap.into_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_least_whatever_the_order_and_hands_back_the_rest() {
        let items: Vec<u32> = (0..50).map(|i| (i * 37) % 50).collect();
        let mut runs = Vec::new();
        for order in [items.clone(), items.iter().rev().copied().collect()] {
            let mut e = Earliest::new(10);
            let mut out: Vec<u32> = order.into_iter().filter_map(|i| e.push(i)).collect();
            out.sort_unstable();
            assert_eq!(
                out,
                (10..50).collect::<Vec<_>>(),
                "each item not kept comes back once"
            );
            assert_eq!(e.len(), 10);
            runs.push(e.into_sorted_vec());
        }
        assert_eq!(runs[0], (0..10).collect::<Vec<_>>());
        assert_eq!(runs[0], runs[1]);
        let mut none = Earliest::new(0);
        assert_eq!(none.push(1), Some(1));
        assert!(none.is_empty());
    }
}
