//! A row's CSV cells read straight off its `Serialize` (the CLI's CSV path, per row): no
//! round trip through the row's JSON text for the strings, booleans and integers that make
//! up most cells.

use std::fmt;
use std::io;

use serde::Serialize;
use serde::ser::Impossible;

use super::csv_writer::{cell_of_json, csv_cell};

/// A row's cells read off its `Serialize`, without the round trip through JSON text: a
/// known field's string, boolean or integer becomes its cell as it is; any other value
/// (arrays, objects, raw JSON, floats) goes through its JSON text, as [`cell`] reads it;
/// the other members keep their JSON text for `extra`.
pub(super) struct RowCells<'f> {
    fields: &'f [&'f str],
    /// Every cell's text, one after the other.
    text: String,
    /// Each column's cell within `text`; `None` for an absent field.
    columns: Vec<Option<std::ops::Range<usize>>>,
    /// The other members: name and JSON text.
    rest: Vec<(String, String)>,
    /// The column tried first for the next member (fields come in the order of `fields`).
    next: usize,
    /// Where the value of the member whose key was just read goes.
    pending: Option<Target>,
}

enum Target {
    Column(usize),
    Other(String),
}

impl<'f> RowCells<'f> {
    pub(super) fn new(fields: &'f [&'f str]) -> Self {
        RowCells {
            fields,
            text: String::with_capacity(1024),
            columns: vec![None; fields.len()],
            rest: Vec::new(),
            next: 0,
            pending: None,
        }
    }

    fn target(&mut self, name: &str) -> Target {
        let column = if self.fields.get(self.next) == Some(&name) {
            Some(self.next)
        } else {
            self.fields.iter().position(|field| *field == name)
        };
        match column {
            Some(column) => {
                self.next = column + 1;
                Target::Column(column)
            }
            None => Target::Other(name.to_owned()),
        }
    }

    fn value<V: Serialize + ?Sized>(
        &mut self,
        target: Target,
        value: &V,
    ) -> serde_json::Result<()> {
        match target {
            Target::Column(column) => {
                let start = self.text.len();
                if value.serialize(Cell(&mut self.text)).is_err() {
                    self.text.truncate(start);
                    let json = serde_json::to_string(value)?;
                    self.text.push_str(&cell_of_json(&json));
                }
                // Of two members with one name, the last counts.
                self.columns[column] = Some(start..self.text.len());
            }
            Target::Other(name) => {
                let json = serde_json::to_string(value)?;
                self.rest.push((name, json));
            }
        }
        Ok(())
    }

    /// Appends the cells: the columns, then `extra` (after a delimiter when `after_cells`).
    pub(super) fn write(mut self, after_cells: bool, out: &mut Vec<u8>) -> io::Result<()> {
        for (n, column) in self.columns.iter().enumerate() {
            if n > 0 || after_cells {
                out.push(b',');
            }
            if let Some(range) = column {
                csv_cell(&self.text[range.clone()], out);
            }
        }
        if !self.fields.is_empty() || after_cells {
            out.push(b',');
        }
        if self.rest.is_empty() {
            return Ok(());
        }
        // In name order, as a map of them would hold them; of two with one name, the last.
        self.rest.sort_by(|a, b| a.0.cmp(&b.0));
        self.rest.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        let mut object = String::from("{");
        for (n, (name, json)) in self.rest.iter().enumerate() {
            if n > 0 {
                object.push(',');
            }
            object.push_str(&serde_json::to_string(name)?);
            object.push(':');
            object.push_str(json);
        }
        object.push('}');
        csv_cell(&object, out);
        Ok(())
    }
}

fn not_taken<T>(what: &str) -> serde_json::Result<T> {
    Err(serde::ser::Error::custom(format!("{what}: not read here")))
}

/// Refuses every kind of value not listed: the caller takes another way.
macro_rules! not_taken {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> serde_json::Result<$ret> {
            not_taken(stringify!($method))
        }
    )*};
}

/// Serializes the row itself: a map or a struct, nothing else.
impl<'a, 'f> serde::Serializer for &'a mut RowCells<'f> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<(), serde_json::Error>;
    type SerializeTuple = Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = Impossible<(), serde_json::Error>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), serde_json::Error>;

    fn serialize_map(self, _: Option<usize>) -> serde_json::Result<Self> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> serde_json::Result<Self> {
        Ok(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> serde_json::Result<()> {
        not_taken("serialize_some")
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> serde_json::Result<()> {
        not_taken("serialize_newtype_struct")
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> serde_json::Result<()> {
        not_taken("serialize_newtype_variant")
    }

    not_taken! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

impl serde::ser::SerializeMap for &mut RowCells<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<K: Serialize + ?Sized>(&mut self, key: &K) -> serde_json::Result<()> {
        let target = key.serialize(KeyName(self))?;
        self.pending = Some(target);
        Ok(())
    }

    fn serialize_value<V: Serialize + ?Sized>(&mut self, value: &V) -> serde_json::Result<()> {
        match self.pending.take() {
            Some(target) => self.value(target, value),
            None => not_taken("a value without a key"),
        }
    }

    fn end(self) -> serde_json::Result<()> {
        Ok(())
    }
}

impl serde::ser::SerializeStruct for &mut RowCells<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<V: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &V,
    ) -> serde_json::Result<()> {
        let target = self.target(key);
        self.value(target, value)
    }

    fn end(self) -> serde_json::Result<()> {
        Ok(())
    }
}

/// A member's name, when it is a string (anything else is not read here), as the column
/// its value goes to.
struct KeyName<'a, 'f>(&'a mut RowCells<'f>);

impl serde::Serializer for KeyName<'_, '_> {
    type Ok = Target;
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<Target, serde_json::Error>;
    type SerializeTuple = Impossible<Target, serde_json::Error>;
    type SerializeTupleStruct = Impossible<Target, serde_json::Error>;
    type SerializeTupleVariant = Impossible<Target, serde_json::Error>;
    type SerializeMap = Impossible<Target, serde_json::Error>;
    type SerializeStruct = Impossible<Target, serde_json::Error>;
    type SerializeStructVariant = Impossible<Target, serde_json::Error>;

    fn serialize_str(self, name: &str) -> serde_json::Result<Target> {
        Ok(self.0.target(name))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> serde_json::Result<Target> {
        not_taken("serialize_some")
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> serde_json::Result<Target> {
        not_taken("serialize_newtype_struct")
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> serde_json::Result<Target> {
        not_taken("serialize_newtype_variant")
    }

    not_taken! {
        serialize_bool(bool) -> Target;
        serialize_i8(i8) -> Target;
        serialize_i16(i16) -> Target;
        serialize_i32(i32) -> Target;
        serialize_i64(i64) -> Target;
        serialize_u8(u8) -> Target;
        serialize_u16(u16) -> Target;
        serialize_u32(u32) -> Target;
        serialize_u64(u64) -> Target;
        serialize_f32(f32) -> Target;
        serialize_f64(f64) -> Target;
        serialize_char(char) -> Target;
        serialize_bytes(&[u8]) -> Target;
        serialize_none() -> Target;
        serialize_unit() -> Target;
        serialize_unit_struct(&'static str) -> Target;
        serialize_unit_variant(&'static str, u32, &'static str) -> Target;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

/// A value's cell, when it is a string, a boolean, an integer or nothing (as JSON
/// writes them, less a string's quotes); anything else is not read here, and nothing is
/// written for it.
struct Cell<'a>(&'a mut String);

impl Cell<'_> {
    fn text(self, text: impl fmt::Display) -> serde_json::Result<()> {
        use std::fmt::Write;
        write!(self.0, "{text}").map_err(serde::ser::Error::custom)
    }
}

impl serde::Serializer for Cell<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<(), serde_json::Error>;
    type SerializeTuple = Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = Impossible<(), serde_json::Error>;
    type SerializeMap = Impossible<(), serde_json::Error>;
    type SerializeStruct = Impossible<(), serde_json::Error>;
    type SerializeStructVariant = Impossible<(), serde_json::Error>;

    fn serialize_str(self, text: &str) -> serde_json::Result<()> {
        self.0.push_str(text);
        Ok(())
    }
    fn serialize_char(self, c: char) -> serde_json::Result<()> {
        self.0.push(c);
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_i8(self, v: i8) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_i16(self, v: i16) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_i32(self, v: i32) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_i64(self, v: i64) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_i128(self, v: i128) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_u8(self, v: u8) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_u16(self, v: u16) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_u32(self, v: u32) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_u64(self, v: u64) -> serde_json::Result<()> {
        self.text(v)
    }
    fn serialize_u128(self, v: u128) -> serde_json::Result<()> {
        self.text(v)
    }
    // `null` is an empty cell.
    fn serialize_none(self) -> serde_json::Result<()> {
        Ok(())
    }
    fn serialize_unit(self) -> serde_json::Result<()> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> serde_json::Result<()> {
        Ok(())
    }
    // JSON writes a unit variant as its name.
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> serde_json::Result<()> {
        self.0.push_str(variant);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> serde_json::Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> serde_json::Result<()> {
        not_taken("serialize_newtype_variant")
    }

    // Floats keep JSON's own formatting, through their JSON text.
    not_taken! {
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}
