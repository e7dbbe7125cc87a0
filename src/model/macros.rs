//! The declarations every row type and open enum is made from.

/// Declares a Zoom row type from its list of fields (each `Option` of its type), with
/// `extra: Extra`, `FIELDS`, `Serialize` and a tolerant `Deserialize`.
///
/// Decoding one row is one typed pass over its text; only if that pass fails (a value of an
/// unexpected type, a lone surrogate escape) is the row decoded again field by field, each
/// value that cannot be typed going to `extra` under its own name as Zoom wrote it.
macro_rules! row_model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($what:literal) {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            /// Every field this version does not know, and every value of a known field that
            /// does not have the documented type, kept as Zoom wrote it.
            pub extra: Extra,
        }

        impl $name {
            /// Zoom's names of every field the model knows, in the order of the model.
            // Not every row type is exported from the crate root yet.
            #[allow(dead_code)]
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The JSON Schema of the row as it serializes: an object with every known
            /// field, each nullable, from the same list as the struct (so the two cannot
            /// drift). The fields kept in `extra` are not described: other properties are
            /// allowed.
            #[allow(dead_code)]
            pub fn json_schema() -> serde_json::Value {
                let mut properties = serde_json::Map::new();
                $(properties.insert(
                    stringify!($field).to_owned(),
                    crate::field::nullable(<$ty as crate::field::FieldValue>::json_schema()),
                );)*
                serde_json::json!({ "type": "object", "properties": properties })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                $(if let Some(value) = &self.$field {
                    map.serialize_entry(stringify!($field), value)?;
                })*
                for (name, value) in self.extra.iter() {
                    // A typed value wins over a stale raw one: one key per name.
                    if !self.has_typed(name) {
                        map.serialize_entry(name, value)?;
                    }
                }
                map.end()
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// Keeps the row's text, then decodes it tolerantly: with serde_json, a value of
            /// an unexpected type never fails the row.
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = Box::<RawValue>::deserialize(deserializer)?;
                $name::decode_object(raw.get()).ok_or_else(|| {
                    <D::Error as serde::de::Error>::custom(concat!("a ", $what, " must be a JSON object"))
                })
            }
        }

        const _: () = {
            impl $name {
            /// Whether the typed field of this name holds a value.
            fn has_typed(&self, name: &str) -> bool {
                match name {
                    $(stringify!($field) => self.$field.is_some(),)*
                    _ => false,
                }
            }

            /// Decodes the text of one object; `None` if it is not an object.
            pub(crate) fn decode_object(raw: &str) -> Option<Self> {
                let mut de = serde_json::Deserializer::from_str(raw);
                let fast = de
                    .deserialize_map(FastVisitor)
                    .and_then(|row| de.end().map(|()| row));
                match fast {
                    Ok(row) => Some(row),
                    Err(_) => Self::decode_slowly(raw),
                }
            }

            /// Decodes an object member by member, keeping what does not type in `extra`.
            fn decode_slowly(raw: &str) -> Option<Self> {
                let mut row = $name::default();
                for member in crate::json::members(raw)? {
                    let name = crate::json::decode_key(member.key);
                    match name.as_ref() {
                        $(stringify!($field) => {
                            match crate::field::field_from_raw::<$ty>(member.value) {
                                Slot::Typed(value) => row.$field = Some(value),
                                Slot::Null => row.$field = None,
                                Slot::Raw(raw) => {
                                    row.$field = None;
                                    row.extra.insert_raw(name.into_owned(), raw);
                                }
                            }
                        })*
                        _ => {
                            row.extra
                                .insert_raw(name.into_owned(), crate::json::raw_box(member.value));
                        }
                    }
                }
                Some(row)
            }
            }

            /// A key of the row: one of the known fields, or another name.
            #[allow(non_camel_case_types)]
            enum Key {
                $($field,)*
                Other(String),
            }

            impl Key {
                fn of(name: &str) -> Option<Key> {
                    Some(match name {
                        $(stringify!($field) => Key::$field,)*
                        _ => return None,
                    })
                }
            }

            impl<'de> Deserialize<'de> for Key {
                fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    deserializer.deserialize_identifier(KeyVisitor)
                }
            }

            struct KeyVisitor;

            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key;

                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a field name")
                }

                fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Key, E> {
                    Ok(Key::of(name).unwrap_or_else(|| Key::Other(name.to_owned())))
                }

                fn visit_string<E: serde::de::Error>(self, name: String) -> Result<Key, E> {
                    Ok(Key::of(&name).unwrap_or(Key::Other(name)))
                }
            }

            /// The typed pass: strict about every known field's type.
            struct FastVisitor;

            impl<'de> Visitor<'de> for FastVisitor {
                type Value = $name;

                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str(concat!("a ", $what, " object"))
                }

                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                    let mut row = $name::default();
                    while let Some(found) = map.next_key::<Key>()? {
                        match found {
                            $(Key::$field => {
                                match map.next_value_seed(FieldSeed::<$ty>::new())? {
                                    Slot::Typed(value) => row.$field = Some(value),
                                    Slot::Null => row.$field = None,
                                    Slot::Raw(raw) => {
                                        row.$field = None;
                                        row.extra.insert_raw(stringify!($field), raw);
                                    }
                                }
                            })*
                            Key::Other(name) => {
                                let value: Box<RawValue> = map.next_value()?;
                                row.extra.insert_raw(name, value);
                            }
                        }
                    }
                    Ok(row)
                }
            }
        };
    };
}

/// Declares a string enum whose unknown values are kept and serialized back unchanged.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version does not know, kept as Zoom sent it.
            Other(String),
        }

        impl $name {
            /// The value as Zoom writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(StrVisitor(|text: &str| Ok($name::from(text))))
            }
        }
    };
}
