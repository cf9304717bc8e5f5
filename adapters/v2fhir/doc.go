// Package v2fhir translates HL7 v2 messages into FHIR R4 transaction Bundles
// (adapter ID "adapters.hl7v2.fhir"), following the HL7 v2-to-FHIR IG
// mapping tables (corpus/hl7v2/v2-to-fhir-ig).
//
// It is a pure translation: it neither stores nor sends. The caller parses
// with package hl7v2 (the per-sender charset decides GBK/GB18030 before any
// delimiter is split), calls [Mapper.Map], executes Result.Bundle as one
// transaction in the store, and only then acknowledges the sender.
//
// # Usage
//
//	m, err := v2fhir.New(cfg) // cfg.Validate(): a bad mapping stops boot
//	res, err := m.Map(ctx, msg)
//	var e *v2fhir.Error
//	switch {
//	case errors.Is(err, v2fhir.ErrNotMapped): // store the original; ACK e.AckCode() (policy)
//	case errors.As(err, &e): // ACK e.AckCode() (AE) with ERR from e.ErrorDetail()
//	default: // execute res.Bundle; record res.Warnings; then ACK AA
//	}
//
// A Mapper is immutable and safe for concurrent use; there is no
// package-level mutable state (the code tables are read-only).
//
// # What is mapped
//
//   - ADT A01 A02 A03 A04 A05 A06 A07 A08 A11 A12 A13: Patient (PID),
//     Encounter (PV1, PV2), RelatedPerson (NK1), Coverage (IN1),
//     AllergyIntolerance (AL1), Condition (DG1), Observation (OBX), and a
//     Location per distinct PL. A28, A31: the same without Encounter.
//   - ADT A40, A47: merge (see Merges).
//   - ORM O01, OML O21, OML O33: ServiceRequest (ORC/OBR), Specimen (SPM).
//   - ORU R01, OUL R22: DiagnosticReport (OBR) with Observations (OBX),
//     ServiceRequest, Specimen.
//   - RDE O11, O25: MedicationRequest (ORC, RXE or RXO, RXR); RDS O13 adds a
//     MedicationDispense per RXD.
//   - SIU S12-S15: Appointment (SCH, AIS, AIL); S12-S14 booked, S15
//     cancelled unless SCH-25 says otherwise.
//   - MDM T02: DocumentReference (TXA, OBX content).
//   - VXU V04: Immunization (RXA, RXR, ORC).
//
// Anything else returns an *Error wrapping [ErrNotMapped]. Practitioners and
// payor organisations are logical references (identifier and display), not
// resources: they belong to the provider directory.
//
// OBX-5 follows OBX-2: NM → valueQuantity (UCUM system and code when OBX-6
// names UCUM or is a common UCUM unit; 10^9/L is read as 10*9/L); ST, TX,
// FT → valueString; CE, CWE, CNE → valueCodeableConcept; SN → valueQuantity
// with comparator, valueRange (a-b) or valueRatio (a:b); DT, DTM, TS →
// valueDateTime; NA, MA → valueSampledData; NR → valueRange; DR →
// valuePeriod; TM → valueTime. R4 Observation has no valueAttachment, so ED
// (and RP) values are an Attachment (contentType and inline base64 data)
// in the cross-version extension the IG names,
// http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.value;
// when the blob store lands the Attachment will carry its url instead of
// data. OBX-7 gives referenceRange (text always, low/high when numeric);
// OBX-8 gives interpretation (table 0078), and the critical flags HH, LL
// and AA also put the meta.tag TagSystem|TagCritical on the Observation, so
// a critical-value worklist or subscription can search _tag.
//
// # Idempotency
//
// Mapping the same message twice gives byte-identical Bundles: every
// entry's fullUrl is a name-based (version 5) urn:uuid of sender (MSH-3,
// MSH-4), control ID (MSH-10) and the entry's position, never random, and
// entries reference each other through those fullUrls. Executing it twice
// gives the same resources, because every entry is conditional on a
// business identifier:
//
//   - the source of truth updates (PUT Type?identifier=system|value): the
//     Patient of an ADT, the Encounter (by PV1-19 visit number), the
//     ServiceRequest of an order message, the DiagnosticReport and
//     Observations of a result message (so a corrected result replaces the
//     preliminary one), the Appointment, DocumentReference, Immunization,
//     MedicationRequest of their own messages;
//   - a message that only refers to something creates it if absent (POST
//     with ifNoneExist): the Patient of an ORU, the order of a result.
//
// Resources without an identifier of their own (RelatedPerson,
// AllergyIntolerance, Condition, Coverage, Observation) get a derived key,
// system "<LocalSystemBase>key:<Type>", made of their parent's identifier
// and stable parts (NK1-1, allergen code, report filler number + OBX-3 +
// OBX-4), so an A08 updates what the A01 created. When there is nothing
// stable (a PV1 without a visit number), the key is scoped to the message
// (system "<base>msg:<sender>", value "<MSH-10>/<position>") and a warning
// says so. Result.MessageKey lets the caller drop re-sent messages first.
//
// # Identifiers
//
// An assigning authority (CX-4, EI-2..4) resolves through
// Config.Authorities (by namespace or universal ID), then an ISO/UUID/URI
// universal ID, else a derived "<base>id:<name>" with a warning (an error
// with RejectUnmappedAuthority). A patient ID without any authority is
// scoped to the sender's institution. The GB 11643 resident ID (居民身份证号)
// is recognised in PID-3 (a ResidentIDAuthorities name, an authority mapped
// to a resident OID, or type NI with its shape) and in PID-19, which
// Chinese HIS use for it; it gets system ResidentIDSystem
// (urn:oid:2.16.156.10011.1.3; the HL7 China OID 2.16.840.1.113883.2.23.1.19.1
// is normalised to it) and type NNCHN. Its ISO 7064 MOD 11-2 check digit is
// verified: a wrong one is a warning, not an error — the number is still
// what the hospital knows the patient by. Names: a family and given name
// that are both Han characters get text without a space (王小东). PID-8
// also reads the GB/T 2261.1 sex codes (1, 2, 0, 9).
//
// # Merges
//
// ADT A40 (merge) and A47 (identifier change) are reversible and visible,
// never silent overwrites. The surviving patient (PID) is updated with the
// moved MRG-1 identifiers (use "old") and Patient.link type "replaces" to
// the prior patient; the prior patient is changed by a conditional FHIRPath
// Patch (PATCH Patient?identifier=<prior>&link:missing=true): active false,
// link "replaced-by" the survivor, the moved identifier removed. Nothing is
// deleted and both keep their history, so an unmerge is a patch back.
// Patient.link rather than Linkage: Patient.link is the element FHIR
// defines for exactly this (replaced-by / replaces, with the rule that a
// replaced-by patient is no longer to be used), it lives on the patients
// themselves, so every reader of the prior record sees where it went,
// patient-compartment searches and $everything follow it, and the store's
// conditional matching and history cover it; Linkage is a separate
// resource that readers of Patient never see, meant for asserting that
// records in different systems are the same entity without the
// "no longer in use" meaning. The :missing guard makes a re-sent merge
// match nothing rather than patch the survivor.
//
// # Errors
//
// Errors are *Error values with the HL7 location (segment, occurrence,
// field, component) and a table 0357 code; [Error.ErrorDetail] and
// [ErrorDetail] give an hl7v2.ErrorDetail for [hl7v2.NewACK], and
// [Error.AckCode] the MSA-1 code. Problems that do not stop the mapping
// (unparseable dates, unmapped authorities, bad check digits, valued
// fields with no FHIR home such as PID-22 民族) are Result.Warnings.
package v2fhir
