package ecgfhir

import (
	"strconv"
	"strings"
	"testing"
)

// loincCheck computes a LOINC check digit (the mod-10 algorithm of the
// LOINC Users' Guide, appendix: odd positions from the right doubled).
func loincCheck(num string) byte {
	sum := 0
	for i := 0; i < len(num); i++ {
		d := int(num[len(num)-1-i] - '0')
		if i%2 == 0 {
			d *= 2
			d = d/10 + d%10
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

func TestLOINCCheckDigits(t *testing.T) {
	codes := []string{LOINCEKGStudy}
	for _, mc := range measurementCodes {
		if mc.loinc != "" {
			codes = append(codes, mc.loinc)
		}
	}
	for _, c := range codes {
		num, chk, ok := strings.Cut(c, "-")
		if !ok || len(chk) != 1 || loincCheck(num) != chk[0] {
			t.Errorf("LOINC %s: check digit should be %c", c, loincCheck(num))
		}
	}
	// The codes the brief named, which the check rejects.
	for _, c := range []string{"8633-2", "8634-0", "8636-5", "8632-0", "8638-7"} {
		num, chk, _ := strings.Cut(c, "-")
		if loincCheck(num) == chk[0] {
			t.Errorf("%s unexpectedly passes", c)
		}
	}
}

func TestMDCLead(t *testing.T) {
	for _, tc := range []struct{ name, code, refid string }{
		{"I", "131329", "MDC_ECG_LEAD_I"}, {"II", "131330", "MDC_ECG_LEAD_II"}, {"III", "131389", "MDC_ECG_LEAD_III"},
		{"aVR", "131390", "MDC_ECG_LEAD_AVR"}, {"aVL", "131391", "MDC_ECG_LEAD_AVL"}, {"aVF", "131392", "MDC_ECG_LEAD_AVF"},
		{"V1", "131331", "MDC_ECG_LEAD_V1"}, {"V6", "131336", "MDC_ECG_LEAD_V6"}, {"MLII", "131330", "MDC_ECG_LEAD_II"},
		{"V5", "131335", "MDC_ECG_LEAD_V5"}, {"ABP", "131328", "MDC_ECG_LEAD_CONFIG"},
	} {
		code, refid, _ := mdcLead(tc.name)
		if code != tc.code || refid != tc.refid {
			t.Errorf("%s: %s %s, want %s %s", tc.name, code, refid, tc.code, tc.refid)
		}
	}
}

func TestSampledData(t *testing.T) {
	for _, tc := range []struct {
		in           []float64
		factor, data string
	}{
		{[]float64{-12.5, -22.5, -7.5, 15, 55}, "2.5", "-5 -9 -3 6 22"},
		{[]float64{5, -10, 1000}, "5", "1 -2 200"},
		{[]float64{0, 0}, "1000", "0 0"},
		{[]float64{0.0004, 1}, "1", "0.0004 1"},
	} {
		sd := SampledData(tc.in)
		if string(sd.Factor) != tc.factor || sd.Data != tc.data || *sd.Dimensions != 1 || sd.Origin.Code != "uV" {
			t.Errorf("%v: factor %s data %q", tc.in, sd.Factor, sd.Data)
		}
	}
}

func TestResidentID(t *testing.T) {
	if n, ok := residentID("11010119900307851x"); ok || n != "" {
		t.Errorf("bad check digit accepted")
	}
	if _, ok := residentID("110101199003078515"); !ok {
		t.Errorf("valid resident ID rejected")
	}
	if _, ok := residentID(strconv.Itoa(123)); ok {
		t.Errorf("short ID accepted")
	}
}
