// Package ecgfhir translates an analysed electrocardiogram (an ecg.Record
// with what ecg/analysis and ecg/quality found in it, its original bytes
// and its rendered PDF) into one FHIR R4 transaction Bundle (adapter ID
// "adapters.ecg.fhir").
//
// It is a pure translation: it neither stores nor sends. The caller
// (server/ecg) decodes with ecg/formats, analyses, renders, keeps the
// original in the blob store, calls [Mapper.Build], converts the Bundle
// with r4.ToNode (the strict codec) and executes it as one transaction.
//
// # Usage
//
//	m, err := ecgfhir.New(cfg) // cfg.Validate(): a bad setting stops boot
//	rep := analysis.Measure(rec)
//	res, err := m.Build(ctx, ecgfhir.Input{
//		Record: rec, Original: raw, OriginalURL: blobURL,
//		Measurements: rep.Measurements,
//		Findings:     append(analysis.Critical(rec, rep), quality.Check(rec, rep)...),
//		PDF:          pdf, Institution: "county-hospital",
//	})
//
// # What is produced
//
//   - Patient (when the file names one), keyed on its ID: the configured
//     system, or ResidentIDSystem when the ID is a GB 11643 resident ID
//     with a right check digit.
//   - Device for the cart, keyed on model and serial number
//     (SystemDevice); a cart without a serial (or with "0", "unknown") is
//     keyed on manufacturer and model (SystemDeviceModel), with a warning.
//   - DocumentReference for the original file, verbatim: attachment.url
//     is the blob, with size and SHA-1 hash (Attachment.hash is SHA-1 in
//     R4); without a blob store the bytes are inline (attachment.data).
//   - The waveform Observation: code MDC_ECG_LEAD_CONFIG (131328), one
//     component per lead coded with its MDC lead code (131328 + the EN
//     1064 / ISO/IEEE 11073-10101 lead number: I 131329, II 131330, V1–V6
//     131331–131336, III 131389, aVR 131390, aVL 131391, aVF 131392; the
//     codes of the FHIR R4 example Observation "ekg" and of DICOM PS3.16
//     CID 3001), in the order I, II, III, aVR, aVL, aVF, V1–V6, then the
//     others. Each SampledData has origin 0 µV, period 1000/fs ms,
//     factor the lead's resolution in µV, dimensions 1 and integer data;
//     lowerLimit/upperLimit are left out, since no reader reports the
//     amplifier range. derivedFrom points at the DocumentReference.
//   - One Observation per measurement, device-reported and computed
//     alike, told apart by meta.tag SystemSource (TagDevice, TagAnalysis):
//     heart rate LOINC 8867-4 (/min), PR 8625-6, QRS duration 8633-0,
//     QT 8634-8, QTc 8636-3 (ms), P, QRS and T axes 8626-4, 8632-2,
//     8638-9 (deg); RR and P duration carry only SystemMeasurement. A QTc
//     names its formula in Observation.method (SystemQTcFormula: bazett,
//     fridericia, hodges, framingham; "unknown" when a device does not
//     say), one Observation per formula.
//   - Critical findings (analysis.Critical) set interpretation LL/HH on
//     the computed heart rate and on the Fridericia QTc, with the evidence
//     in note and meta.tag TagSystem|TagCritical; every finding (critical
//     or signal quality) is also an Observation coded in SystemFinding,
//     value, limit and lead as value and components, evidence in note.
//   - DiagnosticReport: status preliminary (until a doctor signs),
//     category v2-0074 EC, code LOINC 11524-6 "EKG study", result → all
//     Observations, conclusion (the cart's statements and the findings),
//     conclusionCode per finding code, presentedForm the PDF (base64).
//
// The brief for this adapter listed QRS 8633-2, QT 8634-0, QTc 8636-5, QRS
// axis 8632-0 and T axis 8638-7; those fail the LOINC mod-10 check digit.
// The codes above pass it (TestLOINCCheckDigits) and are the published
// ones.
//
// # Idempotency
//
// Every resource is a conditional create (POST with ifNoneExist on an
// identifier): the DiagnosticReport and the DocumentReference carry
// SystemOriginal with the hex SHA-256 of the original bytes, each
// Observation that digest plus "/" and its part ("waveform",
// "analysis/QTc/Fridericia"...). Entry fullUrls are version 5 UUIDs of
// the digest and the part. The same file sent twice gives the same Bundle
// and writes nothing the second time, so a report a doctor has signed is
// never reset to preliminary by a re-sent file.
//
// # Concurrency
//
// A Mapper is immutable and safe for concurrent use; there is no
// package-level mutable state.
package ecgfhir
