package render

import "testing"

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"name three characters", MaskName, "王小东", "王**"},
		{"name two characters", MaskName, "王五", "王*"},
		{"name compound surname", MaskName, "欧阳娜娜", "欧***"},
		{"name one character", MaskName, "王", "王"},
		{"name latin", MaskName, "Wang XiaoDong", "W*** ********"},
		{"name DICOM groups", MaskName, "Wang^XiaoDong", "W***^********"},
		{"name empty", MaskName, "  ", ""},
		{"resident id 18", MaskResidentID, "110101199003078515", "110101********8515"},
		{"resident id 18 with X", MaskResidentID, "11010119900307851X", "110101********851X"},
		{"resident id 15", MaskResidentID, "110101900307851", "110101*****7851"},
		{"not a resident id", MaskResidentID, "MZ20240001", "MZ******01"},
		{"id short", MaskID, "1234", "****"},
		{"id long", MaskID, "ZY0012345678901", "ZY0*********901"},
		{"id unicode", MaskID, "门诊号12345", "门诊****45"},
		{"mobile", MaskPhone, "13812345678", "138****5678"},
		{"mobile +86", MaskPhone, "+8613812345678", "+86138****5678"},
		{"landline", MaskPhone, "0571-87654321", "****-****4321"},
		{"phone short", MaskPhone, "120", "120"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.fn(tt.in); got != tt.want {
				t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
