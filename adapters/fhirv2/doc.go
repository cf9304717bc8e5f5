// Package fhirv2 translates FHIR R4 resources into HL7 v2.5.1 messages
// (adapter ID "adapters.fhir.hl7v2"): the notifications the hub sends to
// downstream systems. It is the reverse of package v2fhir and follows the
// same HL7 v2-to-FHIR IG tables (corpus/hl7v2/v2-to-fhir-ig) read from right
// to left, so that a message it builds, mapped back by v2fhir with the same
// configuration, gives back the same names, identifiers, codes, values and
// units.
//
// It is a pure translation: it neither reads the store nor sends. The
// caller decodes the stored JSON into the typed structs of fhir/r4, calls
// one of the Encoder's methods and delivers [hl7v2.Message.Encode]'s bytes.
//
// # Messages
//
//   - [Encoder.PatientUpdate]: ADT^A08^ADT_A01 (MSH, EVN, PID, PV1 with
//     class N: a patient-level update has no visit).
//   - [Encoder.ReportFinal]: ORU^R01^ORU_R01 (MSH, PID, ORC RE, OBR, one
//     OBX per result Observation).
//   - [Encoder.OrderPlaced]: OML^O21^OML_O21 (MSH, PID, ORC NW, TQ1 when a
//     priority is given, OBR, NTE per note).
//
// Every message is version 2.5.1 with MSH-18 "UNICODE UTF-8" and MSH-17
// CHN: Chinese names leave as UTF-8 and are never transliterated.
//
// # Identifiers
//
// An identifier system goes out as the assigning authority v2fhir would map
// back to it: the name Config.Authorities gives it (PID-3
// 12345^^^HIS1^MR); the resident ID system (居民身份证号) as the first
// resident authority name, else as ISO OID 2.16.156.10011.1.3, with type
// NNCHN; a system v2fhir derived for an unmapped name ("<base>id:NAME") as
// NAME; any other urn:oid, urn:uuid or URI as HD universal ID with type
// ISO, UUID or URI. Keys that v2fhir derives for resources without a
// business identifier ("<base>key:...", "<base>msg:...") are internal and
// not sent. Code systems go out as their HL7 table 0396 names (LN, SCT,
// I10, UCUM, HL7nnnn), a configured local name, or the URI itself.
//
// # Values (OBX-2, OBX-5)
//
// valueQuantity → NM (SN with a comparator); valueString → ST (TX when
// multi-line or longer than ST's 199 characters, one repetition per line);
// valueCodeableConcept → CWE; valueRange → SN a-b; valueRatio → SN a:b;
// valueDateTime → DT (a date) or TS; valueInteger → NM; valueBoolean → CWE
// Y/N (table 0136); valueTime → TM; valuePeriod → DR. valueSampledData and
// attachments are not sent (the OBX keeps its code and status).
package fhirv2
