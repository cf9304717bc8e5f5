package dicomweb

import (
	"testing"

	"yigong/dicom"
)

func TestParseAttr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want dicom.Tag
		ok   bool
	}{
		{"PatientName", dicom.TagPatientName, true},
		{"00100010", dicom.TagPatientName, true},
		{"0020000D", dicom.TagStudyInstanceUID, true},
		{"NoSuchKeyword", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseAttr(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("parseAttr(%q) = %v %v", tc.in, got, ok)
			}
		})
	}
}

func TestAcceptedSyntax(t *testing.T) {
	t.Parallel()
	tests := []struct{ accept, want string }{
		{`multipart/related; type="application/dicom"`, ""},
		{`multipart/related; type="application/dicom"; transfer-syntax=*`, "*"},
		{`multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2`, "1.2.840.10008.1.2"},
		{`application/json, multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1`, "1.2.840.10008.1.2.1"},
	}
	for _, tc := range tests {
		if got := acceptedSyntax(tc.accept); got != tc.want {
			t.Errorf("acceptedSyntax(%q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{"1.2.840.10008.1.2.1", "1.2.840.10008.1.2", true},
		{"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.1", true},  // JPEG Baseline decoded
		{"1.2.840.10008.1.2.1", "1.2.840.10008.1.2.5", true},     // RLE encoded
		{"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.1", false}, // JPEG 2000: no codec
	} {
		if got := transcodable(tc.from, tc.to); got != tc.want {
			t.Errorf("transcodable(%s, %s) = %v", tc.from, tc.to, got)
		}
	}
}
