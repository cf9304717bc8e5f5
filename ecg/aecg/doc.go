// Package aecg reads HL7 annotated ECG documents (HL7 v3 aECG,
// PORT_MT020001, the FDA XML format) into the ecg model, with
// encoding/xml.
//
// [Decode] parses the whole document; [Read] reads it from an io.Reader,
// capped at [MaxSize]. Errors are prefixed "aecg:"; nothing panics.
//
// # Specification coverage
//
//   - AnnotatedECG/effectiveTime and the rhythm series (code RHYTHM): the
//     first sequenceSet, its TIME_ABSOLUTE (GLIST_TS) or TIME_RELATIVE
//     (GLIST_PQ) time sequence giving the start and the sample interval,
//     and lead sequences (SLIST_PQ: value = origin + scale × digit, origin
//     and scale in uV, mV, nV or V) named by their MDC_ECG_LEAD_* codes.
//   - derivation/derivedSeries: the representative (median) beat.
//   - subject: trialSubject id, subjectDemographicPerson name (family and
//     given, or one string), administrativeGenderCode, birthTime; reported
//     age (LOINC 21612-7) from controlVariable.
//   - series author: manufacturedSeriesDevice model, software, id;
//     manufacturerOrganization name.
//   - annotationSet: MDC_ECG_RHY rhythm intervals, MDC_ECG_BEAT beats with
//     their MDC_ECG_WAVC wave boundaries (absolute or relative ROI),
//     global measurements (MDC_ECG_HEART_RATE, MDC_ECG_TIME_PD_*,
//     MDC_ECG_ANGLE_*_FRONT; QTcB/QTcF/QTcH name their formula). When
//     measurements appear only inside beats, the first beat's are used.
//   - Documents must be UTF-8; other declared encodings are rejected.
//   - Only the first sequenceSet of a series is read.
package aecg
