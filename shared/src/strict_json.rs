//! JSON read the way our contracts write it: a struct is a JSON object, never an array.
//!
//! serde's derived `Deserialize` for a struct also accepts a sequence and fills the fields in
//! order, so `[null]` would pass for `{"role_id": null}` and `["…", "…"]` for a message. The
//! OpenAPI and AsyncAPI documents say "object"; [`ObjectsOnly`] wraps any deserializer and refuses
//! an array wherever a struct (or a struct variant) is expected, at any depth. Arrays stay welcome
//! where a sequence is expected (`Vec`, tuples).
//!
//! Values that serde buffers before it knows their type (untagged and internally tagged enums,
//! `#[serde(flatten)]`) are read from that buffer, not through the wrapper: serde's reader of an
//! internally tagged enum takes `["org", "amqp"]` (tag first) for `{"kind": "org", "source":
//! "amqp"}`. A field of such a type names [`tagged_object`] as its `deserialize_with`, which reads
//! a JSON object first. (`flatten` reads from an object anyway, and the types flattened today hold
//! no struct inside.)

use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use std::fmt;

/// Reads a `T` from a whole JSON document, as `serde_json::from_slice` does (trailing characters
/// refused), but with structs as objects only.
pub fn from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(ObjectsOnly(&mut de))?;
    de.end()?;
    Ok(value)
}

/// [`from_slice`] for text.
pub fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> serde_json::Result<T> {
    from_slice(text.as_bytes())
}

/// For a field whose type serde reads from a buffer (an internally tagged enum): the value must be
/// a JSON object, then it is read with structs as objects only. Use it as
/// `#[serde(deserialize_with = "crate::strict_json::tagged_object")]`.
pub fn tagged_object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let object = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
    T::deserialize(ObjectsOnly(serde_json::Value::Object(object))).map_err(de::Error::custom)
}

/// A deserializer that refuses an array where a struct is expected; see the module's doc.
pub struct ObjectsOnly<D>(pub D);

/// What a visitor is reading: only a struct refuses a sequence.
#[derive(Clone, Copy)]
enum Shape {
    Struct,
    Other,
}

/// The caller's visitor, handed the wrapped accessors so that nested values are checked too.
struct Checked<V> {
    inner: V,
    shape: Shape,
}

impl<V> Checked<V> {
    fn any(inner: V) -> Self {
        Self {
            inner,
            shape: Shape::Other,
        }
    }

    fn object(inner: V) -> Self {
        Self {
            inner,
            shape: Shape::Struct,
        }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                self.0.$method($($arg,)* Checked::any(visitor))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectsOnly<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
        deserialize_i32(), deserialize_i64(), deserialize_i128(), deserialize_u8(),
        deserialize_u16(), deserialize_u32(), deserialize_u64(), deserialize_u128(),
        deserialize_f32(), deserialize_f64(), deserialize_char(), deserialize_str(),
        deserialize_string(), deserialize_bytes(), deserialize_byte_buf(), deserialize_option(),
        deserialize_unit(), deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str), deserialize_seq(),
        deserialize_tuple(len: usize), deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(), deserialize_identifier(), deserialize_ignored_any(),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0
            .deserialize_struct(name, fields, Checked::object(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Checked<V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(formatter)
    }

    forward_visit! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64),
        visit_i128(i128), visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64),
        visit_u128(u128), visit_f32(f32), visit_f64(f64), visit_char(char), visit_str(&str),
        visit_borrowed_str(&'de str), visit_string(String), visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]), visit_byte_buf(Vec<u8>),
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_some(ObjectsOnly(deserializer))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        self.inner.visit_newtype_struct(ObjectsOnly(deserializer))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        match self.shape {
            Shape::Struct => Err(de::Error::invalid_type(Unexpected::Seq, &"a JSON object")),
            Shape::Other => self.inner.visit_seq(CheckedSeq(seq)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(CheckedMap(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_enum(CheckedEnum(data))
    }
}

/// A seed whose value is read through [`ObjectsOnly`].
struct CheckedSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for CheckedSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(ObjectsOnly(deserializer))
    }
}

struct CheckedSeq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for CheckedSeq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0.next_element_seed(CheckedSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct CheckedMap<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for CheckedMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        self.0.next_key_seed(CheckedSeed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.0.next_value_seed(CheckedSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct CheckedEnum<A>(A);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for CheckedEnum<A> {
    type Error = A::Error;
    type Variant = CheckedVariant<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), Self::Error> {
        let (value, variant) = self.0.variant_seed(CheckedSeed(seed))?;
        Ok((value, CheckedVariant(variant)))
    }
}

struct CheckedVariant<A>(A);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for CheckedVariant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), Self::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.0.newtype_variant_seed(CheckedSeed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.tuple_variant(len, Checked::any(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.struct_variant(fields, Checked::object(visitor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Role {
        role_id: Option<String>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Team {
        lead: Role,
        members: Vec<Role>,
        pair: (u8, String),
        extra: Option<Role>,
        kind: Kind,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Tagged(Role),
        Shaped { size: u8 },
    }

    #[test]
    fn an_object_is_read_as_serde_reads_it() {
        let team: Team = from_str(
            r#"{"lead": {"role_id": null}, "members": [{"role_id": "a"}], "pair": [1, "x"],
                "extra": {"role_id": "b"}, "kind": {"shaped": {"size": 3}}}"#,
        )
        .expect("valid");
        assert_eq!(team.members[0].role_id.as_deref(), Some("a"));
        assert_eq!(team.pair, (1, "x".to_string()));
        assert_eq!(team.kind, Kind::Shaped { size: 3 });
        assert_eq!(
            from_str::<Kind>(r#""plain""#).expect("unit variant"),
            Kind::Plain
        );
        assert!(matches!(
            from_str::<Kind>(r#"{"tagged": {"role_id": null}}"#),
            Ok(Kind::Tagged(_))
        ));
    }

    #[test]
    fn an_array_in_place_of_a_struct_is_refused_at_any_depth() {
        assert!(
            serde_json::from_str::<Role>("[null]").is_ok(),
            "serde alone accepts it"
        );
        let top = from_str::<Role>("[null]").expect_err("top level");
        assert!(top.to_string().contains("expected a JSON object"), "{top}");
        for part in [
            r#""lead": [null]"#,
            r#""members": [[null]]"#,
            r#""extra": ["b"]"#,
            r#""kind": {"tagged": [null]}"#,
            r#""kind": {"shaped": [3]}"#,
        ] {
            let body = team_with(part);
            let err = from_str::<Team>(&body).expect_err(&body);
            assert!(
                err.to_string().contains("expected a JSON object"),
                "{body}: {err}"
            );
        }
    }

    #[test]
    fn trailing_characters_are_refused() {
        assert!(from_str::<Role>(r#"{"role_id": null} x"#).is_err());
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Author {
        Org { source: String },
        Partner { id: u8 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Change {
        #[serde(deserialize_with = "tagged_object")]
        by: Author,
    }

    #[test]
    fn an_internally_tagged_field_is_read_from_an_object_only() {
        let tag_first = r#"["org", "amqp"]"#;
        assert!(
            serde_json::from_str::<Author>(tag_first).is_ok(),
            "serde's tagged reader alone takes an array"
        );
        let change: Change =
            from_str(r#"{"by": {"kind": "partner", "id": 7}}"#).expect("an object");
        assert_eq!(change.by, Author::Partner { id: 7 });
        let err = from_str::<Change>(&format!(r#"{{"by": {tag_first}}}"#)).expect_err("an array");
        assert!(err.to_string().contains("expected a map"), "{err}");
        let unknown = from_str::<Change>(r#"{"by": {"kind": "nobody"}}"#).expect_err("no variant");
        assert!(unknown.to_string().contains("nobody"), "{unknown}");
    }

    fn team_with(part: &str) -> String {
        let fields = [
            (r#""lead""#, r#""lead": {"role_id": null}"#),
            (r#""members""#, r#""members": []"#),
            (r#""pair""#, r#""pair": [1, "x"]"#),
            (r#""extra""#, r#""extra": null"#),
            (r#""kind""#, r#""kind": "plain""#),
        ]
        .into_iter()
        .map(|(key, field)| if part.starts_with(key) { part } else { field })
        .collect::<Vec<_>>();
        format!("{{{}}}", fields.join(", "))
    }
}
