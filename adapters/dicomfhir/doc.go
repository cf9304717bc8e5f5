// Package dicomfhir maps DICOM studies to FHIR R4 (adapter ID
// "adapters.dicom.fhir"): an ImagingStudy with its series and instances, the
// Patient it belongs to and a link to the ServiceRequest it fulfils, as one
// idempotent transaction Bundle for fhir/transaction.
//
// # Mapping
//
//   - ImagingStudy: conditional PUT on identifier urn:dicom:uid|urn:oid:<Study
//     Instance UID>, so re-sending a study (or rebuilding it after each new
//     instance) updates one resource. Accession Number becomes an ACSN
//     identifier; series and instances are listed with number, modality and
//     SOP class; started from StudyDate/StudyTime (+08:00 when no offset).
//   - Patient: found by the study's identifiers, conditional create
//     (If-None-Exist) on PatientID in the system named by IssuerOfPatientID
//     (or the configured default system), ORed with Other Patient IDs. An
//     existing Patient (from HIS through HL7 v2) is never overwritten. Names
//     come from the PN component groups: one HumanName per group, marked with
//     the iso21090-EN-representation extension (ABC alphabetic, IDE
//     ideographic, SYL phonetic), so 王^小东 and Wang^XiaoDong both survive.
//   - ServiceRequest: by Accession Number. When the caller knows one exists,
//     basedOn is a conditional reference (resolved in the transaction);
//     otherwise a logical reference by identifier.
//
// # Concurrency
//
// Build is a pure function of its input.
//
// # Spec sections
//
// FHIR R4 ImagingStudy (http://hl7.org/fhir/R4/imagingstudy.html, DICOM tag
// mappings), DICOM PS3.3 C.7.1.1 (patient), C.7.2.1 (study), PS3.5 §6.2.1 (PN).
package dicomfhir
