//! Values for the CEL evaluator that clone in constant time.
//!
//! The `cel` crate evaluates over `Box<dyn Val>` trees and clones a map or list deeply whenever an
//! expression reads it (a variable, a field, a comprehension's element), and converts a
//! `cel::Value` deeply whenever it becomes a variable. Rule conditions read nested objects (a
//! component's flows, a flow's ends and data) many times, so this made enumeration take 40 s for
//! 10,000 components. `Shared` puts every map and list behind an `Arc` and delegates to it, so a
//! clone is a reference-count increment; `values.rs` builds the model's objects as `Shared`
//! directly, once, with strings borrowed from the model.

use std::sync::Arc;

use cel::common::traits::{
    Adder, Comparer, Container, Divider, Indexer, Iterable, Modder, Multiplier, Negator, Sizer,
    Subtractor, Zeroer,
};
use cel::common::types::{CelList, CelMap, CelMapKey, Type};
use cel::common::value::{Builtin, BuiltinRef, Val};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Shared<'m>(Arc<dyn Val + 'm>);

impl<'m> Shared<'m> {
    pub fn map(fields: Vec<(&'static str, Box<dyn Val + 'm>)>) -> Self {
        let map: HashMap<CelMapKey<'m>, Box<dyn Val + 'm>> = fields
            .into_iter()
            .map(|(k, v)| (CelMapKey::from(k), v))
            .collect();
        Shared(Arc::new(CelMap::from(map)))
    }

    pub fn list(items: Vec<Box<dyn Val + 'm>>) -> Self {
        Shared(Arc::new(CelList::from(items)))
    }

    pub fn boxed(&self) -> Box<dyn Val + 'm> {
        Box::new(self.clone())
    }

    pub fn inner(&self) -> &(dyn Val + 'm) {
        &*self.0
    }
}

impl<'m> Val for Shared<'m> {
    fn get_type(&self) -> &Type {
        self.0.get_type()
    }

    fn cel_type() -> &'static Type
    where
        Self: Sized,
    {
        // Only used to derive overload signatures from Rust types; a shared value is never
        // named in one, and its runtime type comes from `get_type`.
        &cel::common::types::DYN_TYPE
    }

    fn as_adder<'b, 'v>(&'b self) -> Option<&'b (dyn Adder + 'v)>
    where
        Self: 'v,
    {
        self.0.as_adder()
    }

    fn as_comparer(&self) -> Option<&dyn Comparer> {
        self.0.as_comparer()
    }

    fn as_container(&self) -> Option<&dyn Container> {
        self.0.as_container()
    }

    fn as_divider<'b, 'v>(&'b self) -> Option<&'b (dyn Divider + 'v)>
    where
        Self: 'v,
    {
        self.0.as_divider()
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        self.0.as_indexer()
    }

    fn into_indexer<'v>(self: Box<Self>) -> Option<Box<dyn Indexer + 'v>>
    where
        Self: 'v,
    {
        // One level is copied; the children are `Shared` themselves.
        self.0.clone_as_boxed().into_indexer()
    }

    fn as_iterable<'b, 'v>(&'b self) -> Option<&'b (dyn Iterable + 'v)>
    where
        Self: 'v,
    {
        self.0.as_iterable()
    }

    fn as_modder<'b, 'v>(&'b self) -> Option<&'b (dyn Modder + 'v)>
    where
        Self: 'v,
    {
        self.0.as_modder()
    }

    fn as_multiplier<'b, 'v>(&'b self) -> Option<&'b (dyn Multiplier + 'v)>
    where
        Self: 'v,
    {
        self.0.as_multiplier()
    }

    fn as_negator<'b, 'v>(&'b self) -> Option<&'b (dyn Negator + 'v)>
    where
        Self: 'v,
    {
        self.0.as_negator()
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        self.0.as_sizer()
    }

    fn as_subtractor<'b, 'v>(&'b self) -> Option<&'b (dyn Subtractor + 'v)>
    where
        Self: 'v,
    {
        self.0.as_subtractor()
    }

    fn as_zeroer(&self) -> Option<&dyn Zeroer> {
        self.0.as_zeroer()
    }

    fn equals(&self, other: &dyn Val) -> bool {
        self.0.equals(other)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(self.clone())
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        self.0.as_any()
    }

    fn as_builtin<'b, 'v>(&'b self) -> BuiltinRef<'b, 'v>
    where
        Self: 'v,
    {
        self.0.as_builtin()
    }

    fn into_builtin<'v>(self: Box<Self>) -> Option<Builtin<'v>>
    where
        Self: 'v,
    {
        self.0.clone_as_boxed().into_builtin()
    }
}
