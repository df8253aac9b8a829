//! BCF typed values.
//!
//! A typed value starts with a descriptor byte: the low 4 bits are the type (1 int8, 2 int16,
//! 3 int32, 5 float, 7 char), the high 4 bits the count, 15 meaning "a typed int follows with
//! the count". Integers reserve their two smallest values as *missing* (`0x80`, `0x8000`, …)
//! and *end of vector* (`0x81`, …), floats the NaN payloads `0x7F800001` / `0x7F800002`.

/// A BCF typed-value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Type {
    /// Type 1: 8-bit integers.
    Int8,
    /// Type 2: 16-bit integers.
    Int16,
    /// Type 3: 32-bit integers.
    Int32,
    /// Type 5: 32-bit floats.
    Float,
    /// Type 7: characters (a string).
    Char,
    /// Type 0: no values.
    Missing,
}

impl Type {
    /// The type of a descriptor's low 4 bits (`None` for a code the spec does not define).
    fn from_code(code: u8) -> Option<Type> {
        Some(match code {
            0 => Type::Missing,
            1 => Type::Int8,
            2 => Type::Int16,
            3 => Type::Int32,
            5 => Type::Float,
            7 => Type::Char,
            _ => return None,
        })
    }

    /// Bytes per value.
    pub(super) fn width(self) -> usize {
        match self {
            Type::Int8 | Type::Char => 1,
            Type::Int16 => 2,
            Type::Int32 | Type::Float => 4,
            Type::Missing => 0,
        }
    }
}

/// The float sentinel for a missing value.
pub(super) const FLOAT_MISSING: u32 = 0x7F80_0001;
/// The float sentinel padding a vector after its end.
pub(super) const FLOAT_END: u32 = 0x7F80_0002;

/// One integer or float value of a vector, sentinels resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value {
    /// A float.
    Number(f64),
    /// An integer.
    Int(i32),
    /// The missing-value sentinel.
    Missing,
    /// The end-of-vector sentinel: the vector is shorter than its slot.
    EndOfVector,
}

/// Reads value `k` of type `ty` from `bytes` (which holds at least `k + 1` values).
#[inline]
pub(super) fn value(ty: Type, bytes: &[u8], k: usize) -> Value {
    match ty {
        Type::Int8 => match bytes[k] as i8 {
            i8::MIN => Value::Missing,
            -127 => Value::EndOfVector,
            v => Value::Int(i32::from(v)),
        },
        Type::Int16 => match i16::from_le_bytes([bytes[2 * k], bytes[2 * k + 1]]) {
            i16::MIN => Value::Missing,
            -32767 => Value::EndOfVector,
            v => Value::Int(i32::from(v)),
        },
        Type::Int32 => match i32::from_le_bytes(bytes[4 * k..4 * k + 4].try_into().unwrap()) {
            i32::MIN => Value::Missing,
            -2147483647 => Value::EndOfVector,
            v => Value::Int(v),
        },
        Type::Float => match u32::from_le_bytes(bytes[4 * k..4 * k + 4].try_into().unwrap()) {
            FLOAT_MISSING => Value::Missing,
            FLOAT_END => Value::EndOfVector,
            bits => Value::Number(f64::from(f32::from_bits(bits))),
        },
        Type::Char | Type::Missing => Value::Missing,
    }
}

/// A cursor over typed values.
pub(super) struct Cursor<'a> {
    /// The bytes holding the values.
    pub(super) bytes: &'a [u8],
    /// Offset of the next unread byte.
    pub(super) at: usize,
}

impl<'a> Cursor<'a> {
    /// The next `len` bytes, or an error when the record ends first.
    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&e| e <= self.bytes.len())
            .ok_or("record ends inside a typed value")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    /// A type descriptor: (type, count).
    pub(super) fn descriptor(&mut self) -> Result<(Type, usize), String> {
        let byte = self.take(1)?[0];
        let ty = Type::from_code(byte & 0x0f)
            .ok_or_else(|| format!("unknown typed-value type {}", byte & 0x0f))?;
        let count = match byte >> 4 {
            15 => usize::try_from(self.int()?).map_err(|_| "negative typed-value count")?,
            n => usize::from(n),
        };
        Ok((ty, count))
    }

    /// A typed integer scalar.
    pub(super) fn int(&mut self) -> Result<i64, String> {
        let (ty, count) = self.descriptor()?;
        if count != 1 || !matches!(ty, Type::Int8 | Type::Int16 | Type::Int32) {
            return Err("expected a typed integer".to_string());
        }
        match value(ty, self.take(ty.width())?, 0) {
            Value::Int(v) => Ok(i64::from(v)),
            _ => Err("missing typed integer".to_string()),
        }
    }

    /// A typed string, NUL padding dropped (empty when missing).
    pub(super) fn string(&mut self) -> Result<String, String> {
        let (ty, count) = self.descriptor()?;
        let bytes = self.take(count * ty.width())?;
        if ty != Type::Char && count > 0 {
            return Err("expected a typed string".to_string());
        }
        // Strings may be NUL-padded.
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Ok(String::from_utf8_lossy(&bytes[..end]).into_owned())
    }
}

/// The little-endian `u32` at byte `at`.
pub(super) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}
