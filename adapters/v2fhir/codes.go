package v2fhir

// Read-only code tables, each from the v2-to-FHIR IG concept map named in
// its comment (corpus/hl7v2/v2-to-fhir-ig/codesystems).

// gender0001 is "HL7 Concept Map_ AdministrativeSex" (HL7 table 0001 →
// administrative-gender), plus the GB/T 2261.1-2003 codes Chinese HIS send
// in PID-8 (1 男, 2 女, 0 未知的性别, 9 未说明的性别).
var gender0001 = map[string]string{
	"F": "female", "M": "male", "O": "other", "U": "unknown", "A": "other", "N": "other",
	"1": "male", "2": "female", "0": "unknown", "9": "unknown",
}

// encounterClass0004 is "HL7 Concept Map_ PatientClass[EncounterClass]"
// (HL7 table 0004 → v3 ActCode, or v2-0004 itself).
var encounterClass0004 = map[string][2]string{
	"E": {"EMER", "emergency"}, "I": {"IMP", "inpatient encounter"}, "O": {"AMB", "ambulatory"},
	"P": {"PRENC", "pre-admission"}, "R": {"R", "Recurring patient"}, "B": {"B", "Obstetrics"},
	"C": {"C", "Commercial Account"}, "N": {"N", "Not Applicable"}, "U": {"U", "Unknown"},
}

// encounterStatusEvent is "HL7 Concept Map_ Event[EncounterStatus]"
// (trigger event → encounter-status), with A06, A07 and A12 (class
// changes, cancel transfer) read as in progress.
var encounterStatusEvent = map[string]string{
	"A01": "in-progress", "A02": "in-progress", "A03": "finished", "A04": "planned", "A05": "planned",
	"A06": "in-progress", "A07": "in-progress", "A11": "cancelled", "A12": "in-progress", "A13": "in-progress",
}

// encounterStatusClass is "HL7 Concept Map_ PatientClass[EncounterStatus]",
// used when the event says nothing (A08).
var encounterStatusClass = map[string]string{
	"E": "in-progress", "I": "in-progress", "O": "in-progress", "P": "planned", "R": "in-progress",
	"B": "in-progress", "C": "in-progress", "N": "in-progress", "U": "unknown",
}

// interpretation0078 is "HL7 Concept Map_ InterpretationCodes" (HL7 table
// 0078 → v3 ObservationInterpretation): the codes that map to themselves.
// Inactive v2 codes (AC, HM, OBX, QCF, TOX) are absent.
var interpretation0078 = map[string]string{
	"<": "Off scale low", ">": "Off scale high", "A": "Abnormal", "AA": "Critical abnormal", "B": "Better",
	"CAR": "Carrier", "D": "Significant change down", "DET": "Detected", "E": "Equivocal", "EX": "outside threshold",
	"EXP": "Expected", "H": "High", "HH": "Critical high", "HU": "Significantly high", "I": "Intermediate",
	"IE": "Insufficient evidence", "IND": "Indeterminate", "L": "Low", "LL": "Critical low", "LU": "Significantly low",
	"MS": "moderately susceptible", "N": "Normal", "NCL": "No CLSI defined breakpoint", "ND": "Not detected",
	"NEG": "Negative", "NR": "Non-reactive", "NS": "Non-susceptible", "POS": "Positive", "R": "Resistant",
	"RR": "Reactive", "S": "Susceptible", "SDD": "Susceptible-dose dependent", "SYN-R": "Synergy - resistant",
	"SYN-S": "Synergy - susceptible", "U": "Significant change up", "VS": "very susceptible", "UNE": "Unexpected",
	"W": "Worse", "WR": "Weakly reactive",
}

// critical0078 are the table 0078 flags of critical (panic) values, which
// additionally get the TagCritical meta tag.
var critical0078 = map[string]bool{"HH": true, "LL": true, "AA": true}

// observationStatus0085 is "HL7 Concept Map_
// ObservationResultStatusCodesInterpretation" (HL7 table 0085 →
// observation-status); W (wrong) is entered-in-error per its comment.
var observationStatus0085 = map[string]string{
	"A": "amended", "C": "corrected", "D": "entered-in-error", "F": "final", "P": "preliminary",
	"X": "cancelled", "W": "entered-in-error", "R": "preliminary", "S": "preliminary", "I": "registered",
}

// reportStatus0123 is "HL7 Concept Map_ ResultStatus[Non-Queries]" (HL7
// table 0123 → diagnostic-report-status), with the IG's text-only rows
// (I, S registered; C corrected) as codes.
var reportStatus0123 = map[string]string{
	"O": "registered", "I": "registered", "S": "registered", "P": "preliminary", "C": "corrected",
	"R": "partial", "A": "partial", "F": "final", "X": "cancelled",
}

// requestStatus0119 is "HL7 Concept Map_
// OrderControlCode[ServiceRequest.status]" (ORC-1, HL7 table 0119 →
// request-status), used when ORC-5 is empty.
var requestStatus0119 = map[string]string{
	"AF": "active", "CA": "active", "CR": "revoked", "DC": "revoked", "DF": "revoked", "DR": "revoked",
	"FU": "completed", "HD": "active", "HR": "on-hold", "NW": "active", "OC": "revoked", "OD": "revoked",
	"OH": "on-hold", "OK": "active", "PR": "active", "PY": "active", "RL": "active", "SC": "active",
	"XO": "active", "XX": "active", "RE": "completed", "RP": "active", "SN": "active",
}

// requestStatus0038 is "HL7 Concept Map_ OrderStatus" (ORC-5, HL7 table
// 0038 → request-status).
var requestStatus0038 = map[string]string{
	"CA": "revoked", "CM": "completed", "DC": "revoked", "ER": "entered-in-error", "HD": "on-hold",
	"IP": "active", "RP": "revoked", "SC": "active", "A": "active",
}

// appointmentStatus0278 is "HL7 Concept Map_
// FillerStatusCodes[Appointment]" (SCH-25, AIS-10, HL7 table 0278 →
// appointmentstatus).
var appointmentStatus0278 = map[string]string{
	"PENDING": "pending", "WAITLIST": "waitlist", "BOOKED": "booked", "STARTED": "checked-in",
	"COMPLETE": "fulfilled", "CANCELLED": "cancelled", "DELETED": "entered-in-error", "NOSHOW": "noshow",
}

// appointmentStatusEvent gives the status per SIU trigger when SCH-25 is
// empty: S12 new, S13 rescheduled, S14 modified are booked; S15 cancelled.
var appointmentStatusEvent = map[string]string{"S12": "booked", "S13": "booked", "S14": "booked", "S15": "cancelled"}

// allergyCategory0127 is "HL7 Concept Map_
// AllergenType[AllergyIntoleranceCategory]" (AL1-2, HL7 table 0127).
var allergyCategory0127 = map[string]string{
	"DA": "medication", "FA": "food", "EA": "environment", "AA": "biologic", "PA": "environment", "LA": "environment",
}

// allergyCriticality0128 is "HL7 Concept Map_
// AllergySeverity[AllergyIntolerance.criticality]" (AL1-4, table 0128).
var allergyCriticality0128 = map[string]string{"SV": "high", "MI": "low"}

// allergySeverity0128 is "HL7 Concept Map_
// AllergySeverity[AllergyIntolerance.reaction.severity]".
var allergySeverity0128 = map[string]string{"SV": "severe", "MO": "moderate", "MI": "mild"}

// nameUse0200 is "HL7 Concept Map_ NameType" (XPN.7, HL7 table 0200 →
// name-use).
var nameUse0200 = map[string]string{
	"BAD": "old", "D": "usual", "L": "official", "M": "maiden", "MSK": "anonymous", "N": "nickname",
	"NAV": "temp", "R": "official", "TEMP": "temp",
}

// telecomUse0201 is "HL7 Concept Map_ TelecommunicationUseCode" (XTN.2).
var telecomUse0201 = map[string]string{"PRN": "home", "WPN": "work", "PRS": "mobile"}

// telecomSystem0202 is "HL7 Concept Map_ TelecommunicationEquipmentType"
// (XTN.3); CP (cellular phone) is handled as phone + mobile use.
var telecomSystem0202 = map[string]string{
	"PH": "phone", "FX": "fax", "MD": "other", "CP": "phone", "SAT": "other", "BP": "pager",
	"TDD": "other", "TTY": "other",
}

// addressUse0190 is "HL7 Concept Map_ AddressType[Use]" (XAD.7).
var addressUse0190 = map[string]string{"BA": "old", "BI": "billing", "C": "temp", "B": "work", "H": "home", "O": "work"}

// immunizationStatus0322 is "HL7 Concept Map_ CompletionStatus" (RXA-20).
var immunizationStatus0322 = map[string]string{"CP": "completed", "RE": "not-done", "NA": "not-done", "PA": "completed"}

// codeSystems0396 maps HL7 table 0396 coding-system names to FHIR system
// URIs (the IG's "HL7 Concept Map_ ..." rows use these URIs).
var codeSystems0396 = map[string]string{
	"LN": "http://loinc.org", "LOINC": "http://loinc.org",
	"SCT": "http://snomed.info/sct", "SNM": "http://snomed.info/sct", "SNOMED": "http://snomed.info/sct",
	"I10": "http://hl7.org/fhir/sid/icd-10", "ICD10": "http://hl7.org/fhir/sid/icd-10",
	"I10C": "http://hl7.org/fhir/sid/icd-10-cm", "I9": "http://hl7.org/fhir/sid/icd-9-cm", "I9C": "http://hl7.org/fhir/sid/icd-9-cm",
	"UCUM": "http://unitsofmeasure.org", "CVX": "http://hl7.org/fhir/sid/cvx", "MVX": "http://hl7.org/fhir/sid/mvx",
	"NDC": "http://hl7.org/fhir/sid/ndc", "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
	"CPT": "http://www.ama-assn.org/go/cpt", "C4": "http://www.ama-assn.org/go/cpt",
	"ATC":    "http://www.whocc.no/atc",
	"CDCREC": "urn:oid:2.16.840.1.113883.6.238",
}

// ucumUnits are unit strings taken as UCUM codes when OBX-6 names no
// coding system (the common laboratory units), and ucumAliases the
// spellings Chinese LIS send for them.
var ucumUnits = map[string]bool{
	"%": true, "g/L": true, "g/dL": true, "mg/dL": true, "mg/L": true, "ug/L": true, "ng/mL": true, "pg/mL": true,
	"mmol/L": true, "umol/L": true, "nmol/L": true, "pmol/L": true, "mol/L": true, "U/L": true, "[IU]/L": true,
	"m[IU]/mL": true, "10*9/L": true, "10*12/L": true, "10*6/uL": true, "10*3/uL": true, "fL": true, "pg": true,
	"mm[Hg]": true, "/min": true, "{beats}/min": true, "kg": true, "g": true, "cm": true, "mm": true, "m": true,
	"s": true, "ms": true, "min": true, "h": true, "d": true, "L": true, "mL": true, "uL": true, "Cel": true,
	"kg/m2": true, "mL/min": true, "mm/h": true, "[pH]": true, "mEq/L": true, "meq/L": true, "1": true,
}

var ucumAliases = map[string]string{
	"10^9/L": "10*9/L", "10^12/L": "10*12/L", "×10^9/L": "10*9/L", "×10^12/L": "10*12/L", "μmol/L": "umol/L",
	"µmol/L": "umol/L", "IU/L": "[IU]/L", "mmHg": "mm[Hg]", "bpm": "/min", "beats/min": "/min", "℃": "Cel",
}
