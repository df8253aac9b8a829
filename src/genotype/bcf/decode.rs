//! The general decoders of a BCF dosage field: `GT` of any integer width and ploidy, `DS` of
//! any numeric type.

use super::record::FieldData;
use super::value::{value, Type, Value, FLOAT_END, FLOAT_MISSING};
use crate::genotype::dosage::{check_ds, put_call, AltColumn, Call, SampleError};
use crate::genotype::QcCounts;

/// Decodes a float `DS` column with one value per sample (a bi-allelic site).
pub(super) fn decode_float_ds(data: &[u8], column: &mut AltColumn) -> Result<(), SampleError> {
    let mut sum = 0.0;
    for (sample, (bytes, dosage)) in data
        .chunks_exact(4)
        .zip(column.dosages.iter_mut())
        .enumerate()
    {
        let bits = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if bits == FLOAT_MISSING || bits == FLOAT_END {
            *dosage = 0.0;
            column.missing.push(sample as u32);
            continue;
        }
        let value = f64::from(f32::from_bits(bits));
        // NaN fails the range test too.
        if !(0.0..=2.0).contains(&value) {
            return Err(SampleError::at(sample, check_ds(value).unwrap_err()));
        }
        *dosage = value;
        sum += value;
    }
    column.qc = QcCounts {
        missing: column.missing.len() as u64,
        observed: (column.dosages.len() - column.missing.len()) as u64,
        dosage_sum: sum,
        dosage_sq_sum: column.dosages.iter().map(|x| x * x).sum(),
        ..QcCounts::default()
    };
    Ok(())
}

/// One sample's `GT` call from its `count` integer values.
pub(super) fn int_call(ty: Type, values: &[u8], count: usize) -> Result<Call, String> {
    let mut alleles = [None; 2];
    let mut ploidy = 0;
    for k in 0..count {
        let allele = match value(ty, values, k) {
            Value::EndOfVector => break,
            Value::Missing => None,
            // (allele + 1) << 1 | phased: 0 and 1 are a missing allele.
            Value::Int(v) if v >= 2 => Some((v >> 1) as u32 - 1),
            Value::Int(v) if v >= 0 => None,
            Value::Int(v) => return Err(format!("GT value {v} is not an allele")),
            Value::Number(_) => return Err("GT is not an integer".to_string()),
        };
        if let Some(slot) = alleles.get_mut(ploidy) {
            *slot = allele;
        }
        ploidy += 1;
    }
    if ploidy > alleles.len() {
        return Ok(Call::Polyploid);
    }
    Ok(Call::from_alleles(&alleles[..ploidy]))
}

/// Each sample's `GT` call, of any integer width and ploidy, into `calls`.
pub(super) fn gt_calls(
    field: FieldData,
    data: &[u8],
    n_samples: usize,
    calls: &mut Vec<Call>,
) -> Result<(), SampleError> {
    check_gt_type(field)?;
    let stride = field.count * field.ty.width();
    if stride == 0 {
        calls.resize(n_samples, Call::Missing);
        return Ok(());
    }
    for (sample, values) in data.chunks_exact(stride).enumerate() {
        calls
            .push(int_call(field.ty, values, field.count).map_err(|m| SampleError::at(sample, m))?);
    }
    Ok(())
}

/// Refuses a `GT` not stored as integers.
fn check_gt_type(field: FieldData) -> Result<(), SampleError> {
    match field.ty {
        Type::Int8 | Type::Int16 | Type::Int32 => Ok(()),
        other => Err(SampleError::record(format!(
            "GT is stored as {other:?}, not integers"
        ))),
    }
}

/// Decodes `GT` of any integer width and ploidy.
pub(super) fn decode_gt(
    field: FieldData,
    data: &[u8],
    n_alleles: u32,
    alts: &[u32],
    columns: &mut [AltColumn],
) -> Result<(), SampleError> {
    check_gt_type(field)?;
    let stride = field.count * field.ty.width();
    for (sample, values) in data.chunks_exact(stride.max(1)).enumerate() {
        let call =
            int_call(field.ty, values, field.count).map_err(|m| SampleError::at(sample, m))?;
        if call.max_allele() >= n_alleles {
            return Err(SampleError::at(
                sample,
                format!(
                    "GT allele {} but the record has {} ALT allele(s)",
                    call.max_allele(),
                    n_alleles - 1
                ),
            ));
        }
        put_call(columns, alts, sample, call);
    }
    if stride == 0 {
        columns.iter_mut().for_each(AltColumn::all_missing);
    }
    Ok(())
}

/// The samples whose `GT` holds one allele (a vector of one value, or one value and then the
/// end-of-vector sentinel), ascending: their `DS` is haploid ([`crate::genotype::haploid_ds`]).
pub(super) fn haploid_samples(field: FieldData, data: &[u8], n_samples: usize) -> Vec<u32> {
    if field.count == 0 || !matches!(field.ty, Type::Int8 | Type::Int16 | Type::Int32) {
        return Vec::new();
    }
    if field.count == 1 {
        return (0..n_samples as u32).collect();
    }
    if field.ty == Type::Int8 && field.count == 2 {
        // Diploid int8 GT never holds the end-of-vector byte 0x81, so one SIMD search finds
        // every haploid call (0x81 second: odd offsets) at no cost on diploid data.
        return memchr::memchr_iter(0x81, data)
            .filter(|at| at % 2 == 1)
            .map(|at| (at / 2) as u32)
            .collect();
    }
    let stride = field.count * field.ty.width();
    data.chunks_exact(stride)
        .enumerate()
        .filter(|(_, values)| value(field.ty, values, 1) == Value::EndOfVector)
        .map(|(sample, _)| sample as u32)
        .collect()
}

/// Decodes `DS` (`Number=A`): value `alt − 1` of each sample's vector.
pub(super) fn decode_ds(
    field: FieldData,
    data: &[u8],
    n_alts: u32,
    alts: &[u32],
    columns: &mut [AltColumn],
) -> Result<(), SampleError> {
    if field.count == 0 || field.ty == Type::Missing {
        columns.iter_mut().for_each(AltColumn::all_missing);
        return Ok(());
    }
    if field.count != n_alts as usize {
        return Err(SampleError::record(format!(
            "DS has {} value(s) per sample, but the record has {n_alts} ALT allele(s)",
            field.count
        )));
    }
    if field.ty == Type::Char {
        return Err(SampleError::record("DS is stored as a string, not numbers"));
    }
    let stride = field.count * field.ty.width();
    for (sample, values) in data.chunks_exact(stride).enumerate() {
        for (column, &alt) in columns.iter_mut().zip(alts) {
            let dosage = match value(field.ty, values, alt as usize - 1) {
                Value::Missing | Value::EndOfVector => {
                    column.put_missing(sample);
                    continue;
                }
                Value::Number(x) => x,
                Value::Int(v) => f64::from(v),
            };
            let dosage = check_ds(dosage).map_err(|m| SampleError::at(sample, m))?;
            column.put_dosage(sample, dosage);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_integers_and_floats() {
        // int16 GT 0/2 at a tri-allelic site.
        let data: Vec<u8> = [2i16, 6].iter().flat_map(|v| v.to_le_bytes()).collect();
        let (mut d1, mut d2) = (vec![0.0; 1], vec![0.0; 1]);
        let mut columns = [AltColumn::new(&mut d1), AltColumn::new(&mut d2)];
        let field = FieldData {
            ty: Type::Int16,
            count: 2,
            offset: 0,
        };
        decode_gt(field, &data, 3, &[1, 2], &mut columns).unwrap();
        assert_eq!((columns[0].dosages[0], columns[1].dosages[0]), (0.0, 1.0));

        // float DS with a missing second value.
        let data: Vec<u8> = [0.25f32.to_bits(), 0x7F80_0001]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let (mut d1, mut d2) = (vec![0.0; 1], vec![0.0; 1]);
        let mut columns = [AltColumn::new(&mut d1), AltColumn::new(&mut d2)];
        let field = FieldData {
            ty: Type::Float,
            count: 2,
            offset: 0,
        };
        decode_ds(field, &data, 2, &[1, 2], &mut columns).unwrap();
        assert_eq!(columns[0].dosages[0], 0.25);
        assert_eq!(columns[1].missing, [0]);
    }
}
