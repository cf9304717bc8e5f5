package ecgfhir

import (
	"strconv"
	"strings"

	"yigong/ecg"
)

// Code and identifier systems.
const (
	SystemLOINC = "http://loinc.org"
	SystemUCUM  = "http://unitsofmeasure.org"
	// SystemMDC is ISO/IEEE 11073-10101 (the MDC nomenclature) under its
	// HL7 OID, as the FHIR R4 example Observation "ekg" codes its leads.
	SystemMDC = "urn:oid:2.16.840.1.113883.6.24"
	// SystemObservationCategory and SystemInterpretation are the R4 code
	// systems of Observation.category and Observation.interpretation.
	SystemObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	SystemInterpretation      = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	// SystemDiagnosticService is HL7 table 0074, used by
	// DiagnosticReport.category ("EC", electrocardiac).
	SystemDiagnosticService = "http://terminology.hl7.org/CodeSystem/v2-0074"
	SystemV2_0203           = "http://terminology.hl7.org/CodeSystem/v2-0203"
	// ResidentIDSystem is the GB 11643 resident identity card number
	// (居民身份证号), the same system adapters/v2fhir uses.
	ResidentIDSystem = "urn:oid:2.16.156.10011.1.3"

	// SystemOriginal identifies everything derived from one original
	// file: the value is the lower-case hex SHA-256 of its bytes (the
	// DiagnosticReport, the DocumentReference), or that digest followed by
	// "/" and a part name (the Observations).
	SystemOriginal = "urn:yigong:ecg:sha256"
	// SystemMeasurement codes every measurement by its ecg.MeasurementName
	// (always present, beside LOINC where LOINC has a code).
	SystemMeasurement = "urn:yigong:ecg:measurement"
	// SystemQTcFormula codes the QTc correction in Observation.method.
	SystemQTcFormula = "urn:yigong:ecg:qtc-formula"
	// SystemFinding codes quality and critical findings (ecg.Finding*).
	SystemFinding = "urn:yigong:ecg:finding"
	// SystemSource is the meta.tag system telling device-reported values
	// (TagDevice) from values computed by yigong (TagAnalysis).
	SystemSource = "urn:yigong:ecg:source"
	TagDevice    = "device"
	TagAnalysis  = "analysis"
	// SystemDevice identifies carts: "<model>/<serial>" with a serial
	// number, else SystemDeviceModel with "<manufacturer>/<model>".
	SystemDevice      = "urn:yigong:ecg:device"
	SystemDeviceModel = "urn:yigong:ecg:device-model"
	// TagSystem and TagCritical mark resources carrying a critical finding
	// (the same tag as adapters/v2fhir), so a worklist can search _tag.
	TagSystem   = "urn:yigong:v2fhir:tag"
	TagCritical = "critical"
)

// LOINC codes (https://loinc.org; check digits verified by
// TestLOINCCheckDigits with the LOINC mod-10 algorithm).
const (
	LOINCEKGStudy = "11524-6" // EKG study
)

// measurementCode is how one ecg.MeasurementName is coded.
type measurementCode struct {
	loinc, display string // loinc "" when LOINC has no code used here
	ucum           string
}

// measurementCodes maps global measurements to LOINC (the EKG
// measurements panel, LOINC 34534-8's members) and UCUM. RR and P
// duration are coded only in SystemMeasurement.
var measurementCodes = map[ecg.MeasurementName]measurementCode{
	ecg.HeartRate:   {"8867-4", "Heart rate", "/min"},
	ecg.PRInterval:  {"8625-6", "P-R Interval", "ms"},
	ecg.QRSDuration: {"8633-0", "QRS duration", "ms"},
	ecg.QTInterval:  {"8634-8", "Q-T interval", "ms"},
	ecg.QTc:         {"8636-3", "Q-T interval corrected", "ms"},
	ecg.PAxis:       {"8626-4", "P wave axis", "deg"},
	ecg.QRSAxis:     {"8632-2", "QRS axis", "deg"},
	ecg.TAxis:       {"8638-9", "T wave axis", "deg"},
	ecg.RRInterval:  {"", "R-R interval", "ms"},
	ecg.PDuration:   {"", "P wave duration", "ms"},
}

// qtcFormulas describes the QTc corrections (RR in seconds), as
// ecg/analysis computes them.
var qtcFormulas = map[string]string{
	ecg.Bazett:      "Bazett: QT/RR^(1/2)",
	ecg.Fridericia:  "Fridericia: QT/RR^(1/3)",
	ecg.Hodges:      "Hodges: QT + 1.75 (HR - 60)",
	ecg.Framingham:  "Framingham: QT + 154 (1 - RR)",
	ecg.UnknownQTcF: "formula not stated by the device",
}

// mdcLeadBase is the context-free code of MDC_ECG_LEAD_CONFIG (partition
// 2, SCADA); lead n of the EN 1064 / ISO/IEEE 11073-10101 lead table
// (MDC_ECG_LEAD_I = 1, II = 2, V1..V6 = 3..8, III = 61, aVR = 62, aVL =
// 63, aVF = 64) has code mdcLeadBase + n: 131329 for lead I, 131389 for
// III (the codes of the FHIR R4 example Observation "ekg" and of DICOM
// PS3.16 CID 3001 "ECG Leads", code values 2:n).
const mdcLeadBase = 131328

// mdcLead returns the MDC code and reference id of a lead name; ok is false
// for names outside the table (coded as MDC_ECG_LEAD_CONFIG, unspecified).
func mdcLead(name string) (code, refid string, ok bool) {
	n := ecg.NormalizeLeadName(name)
	if n == "MLII" { // MIT-BIH modified limb lead II (electrodes on the torso), coded as II
		n = "II"
	}
	for c := 1; c <= 72; c++ {
		if ln, found := ecg.LeadFromCode(c); found && ln == n {
			return strconv.Itoa(mdcLeadBase + c), "MDC_ECG_LEAD_" + strings.ToUpper(strings.ReplaceAll(ln, "-", "NEG_")), true
		}
	}
	return strconv.Itoa(mdcLeadBase), "MDC_ECG_LEAD_CONFIG", false
}

// mimeTypes are the media types of the originals.
var mimeTypes = map[ecg.Format]string{
	ecg.FormatDICOM:   "application/dicom",
	ecg.FormatAECG:    "text/xml",
	ecg.FormatMUSEXML: "text/xml",
	ecg.FormatSCPECG:  "application/octet-stream",
	ecg.FormatISHNE:   "application/octet-stream",
	ecg.FormatMFER:    "application/octet-stream",
	ecg.FormatWFDB:    "application/octet-stream",
}
