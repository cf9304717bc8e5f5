package fhirv2

// Read-only code tables: the v2-to-FHIR IG concept maps
// (corpus/hl7v2/v2-to-fhir-ig/codesystems) read from FHIR to v2. Where
// several v2 codes map to one FHIR code, the one the IG lists first (the
// current, non-deprecated code) goes out.

// codeSystemNames0396 gives the HL7 table 0396 name of each code system
// URI v2fhir knows by heart.
var codeSystemNames0396 = map[string]string{
	"http://loinc.org":                            "LN",
	"http://snomed.info/sct":                      "SCT",
	"http://hl7.org/fhir/sid/icd-10":              "I10",
	"http://hl7.org/fhir/sid/icd-10-cm":           "I10C",
	"http://hl7.org/fhir/sid/icd-9-cm":            "I9C",
	"http://unitsofmeasure.org":                   "UCUM",
	"http://hl7.org/fhir/sid/cvx":                 "CVX",
	"http://hl7.org/fhir/sid/mvx":                 "MVX",
	"http://hl7.org/fhir/sid/ndc":                 "NDC",
	"http://www.nlm.nih.gov/research/umls/rxnorm": "RXNORM",
	"http://www.ama-assn.org/go/cpt":              "CPT",
	"http://www.whocc.no/atc":                     "ATC",
	"urn:oid:2.16.840.1.113883.6.238":             "CDCREC",
}

// sex0001 is "HL7 Concept Map_ AdministrativeSex" reversed.
var sex0001 = map[string]string{"male": "M", "female": "F", "other": "O", "unknown": "U"}

// nameType0200 is "HL7 Concept Map_ NameType" reversed.
var nameType0200 = map[string]string{
	"official": "L", "usual": "D", "maiden": "M", "nickname": "N", "anonymous": "MSK", "temp": "TEMP", "old": "BAD",
}

// addressType0190 is "HL7 Concept Map_ AddressType" reversed (use, then
// type).
var addressType0190 = map[string]string{
	"home": "H", "work": "B", "temp": "C", "old": "BA", "billing": "BI", "postal": "M", "physical": "SH",
}

// telecomUse0201 and telecomEquipment0202 are "HL7 Concept Map_
// TelecommunicationUseCode" and "..._TelecommunicationEquipmentType"
// reversed.
var (
	telecomUse0201       = map[string]string{"home": "PRN", "work": "WPN", "mobile": "PRS"}
	telecomEquipment0202 = map[string]string{"phone": "PH", "fax": "FX", "pager": "BP", "email": "Internet", "other": "MD"}
)

// resultStatus0123 is "HL7 Concept Map_ ResultStatus[Non-Queries]"
// reversed (diagnostic-report-status → OBR-25).
var resultStatus0123 = map[string]string{
	"registered": "I", "partial": "R", "preliminary": "P", "final": "F", "amended": "C", "corrected": "C",
	"appended": "C", "cancelled": "X",
}

// observationStatus0085 is "HL7 Concept Map_
// ObservationResultStatusCodesInterpretation" reversed (observation-status
// → OBX-11).
var observationStatus0085 = map[string]string{
	"registered": "I", "preliminary": "P", "final": "F", "amended": "C", "corrected": "C", "cancelled": "X",
	"entered-in-error": "W",
}

// priority0485 is "HL7 Concept Map_ ExtendedPriorityCodes" reversed
// (request-priority → TQ1-9); urgent has no v2 code of its own and goes
// out as A (as soon as possible).
var priority0485 = map[string]string{"stat": "S", "asap": "A", "urgent": "A", "routine": "R"}
