package ecg

import "strings"

// leadNames maps the lead code shared by SCP-ECG (EN 1064 table 1) and the
// MDC ECG lead nomenclature (ISO/IEEE 11073-10101, MDC_ECG_LEAD_*, code
// "2:n") to the conventional lead name. Codes not listed have no
// conventional name here; readers keep them as "lead n".
var leadNames = map[int]string{
	0: "unspecified",
	1: "I", 2: "II", 3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6",
	9: "V7", 10: "V2R", 11: "V3R", 12: "V4R", 13: "V5R", 14: "V6R", 15: "V7R",
	16: "X", 17: "Y", 18: "Z", 19: "CC5", 20: "CM5",
	21: "LA", 22: "RA", 23: "LL",
	24: "fI", 25: "fE", 26: "fC", 27: "fA", 28: "fM", 29: "fF", 30: "fH",
	61: "III", 62: "aVR", 63: "aVL", 64: "aVF", 65: "-aVR",
	66: "V8", 67: "V9", 68: "V8R", 69: "V9R",
	70: "D", 71: "A", 72: "J",
}

// mdcLeadSuffix maps the MDC_ECG_LEAD_ suffix (upper-cased) to the lead name
// where the suffix is not the name itself.
var mdcLeadSuffix = map[string]string{
	"AVR": "aVR", "AVL": "aVL", "AVF": "aVF", "-AVR": "-aVR", "NEG_AVR": "-aVR",
	"FI": "fI", "FE": "fE", "FC": "fC", "FA": "fA", "FM": "fM", "FF": "fF", "FH": "fH",
}

// LeadFromMDC returns the lead name of an MDC reference id
// ("MDC_ECG_LEAD_AVR" → "aVR"). Unknown ids return the suffix as found and
// false.
func LeadFromMDC(refid string) (string, bool) {
	s, ok := strings.CutPrefix(refid, "MDC_ECG_LEAD_")
	if !ok {
		return refid, false
	}
	u := strings.ToUpper(s)
	if n, ok := mdcLeadSuffix[u]; ok {
		return n, true
	}
	for _, n := range leadNames {
		if strings.ToUpper(n) == u {
			return n, true
		}
	}
	return s, false
}

// LeadFromCode returns the conventional name of an SCP-ECG/MDC lead code.
func LeadFromCode(code int) (string, bool) {
	n, ok := leadNames[code]
	return n, ok
}

// NormalizeLeadName maps common spellings ("AVR", "avr", "MLII", "Lead II",
// "V5") to the conventional name; unknown names come back trimmed.
func NormalizeLeadName(s string) string {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(t, "Lead "), "LEAD ")
	if n, ok := LeadFromMDC(t); ok {
		return n
	}
	u := strings.ToUpper(t)
	if n, ok := mdcLeadSuffix[u]; ok {
		return n
	}
	for _, n := range leadNames {
		if strings.ToUpper(n) == u && n != "unspecified" {
			return n
		}
	}
	return t
}
