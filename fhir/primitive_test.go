package fhir_test

import (
	"errors"
	"fmt"
	"testing"

	"yigong/fhir"
)

func TestCheckPrimitive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, value string
		ok          bool
	}{
		{"string", "王小东", true}, {"string", "", false}, {"string", "a\fb", false},
		{"code", "a b", true}, {"code", "a  b", false}, {"code", " a", false},
		{"id", "abc-1.2", true}, {"id", "a_b", false},
		{"uri", "urn:oid:1.2", true}, {"uri", "a b", false},
		{"boolean", "true", true}, {"boolean", "True", false},
		{"integer", "-12", true}, {"integer", "012", false}, {"integer", "2147483648", false},
		{"positiveInt", "0", false}, {"unsignedInt", "0", true}, {"unsignedInt", "-1", false},
		{"decimal", "1.10", true}, {"decimal", "1e2", true}, {"decimal", "01", false},
		{"date", "2024", true}, {"date", "2024-02-30", false}, {"date", "2024-02-29", true}, {"date", "2023-02-29", false},
		{"dateTime", "2024-01-01T10:00:00+08:00", true}, {"dateTime", "2024-01-01T10:00", false},
		{"instant", "2024-01-01T10:00:00.123Z", true}, {"instant", "2024-01-01", false},
		{"time", "23:59:60", true}, {"time", "24:00:00", false},
		{"oid", "urn:oid:2.16.156.10011.1.3", true}, {"oid", "urn:oid:2.16.0156", false},
		{"uuid", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", true}, {"uuid", "urn:uuid:C757873D-EC9A-4326-A141-556F43239520", false},
		{"base64Binary", "aGVsbG8=", true}, {"base64Binary", "abc", false},
	}
	for _, tc := range tests {
		t.Run(tc.code+"/"+tc.value, func(t *testing.T) {
			t.Parallel()
			err := fhir.CheckPrimitive(tc.code, tc.value)
			if (err == nil) != tc.ok {
				t.Errorf("CheckPrimitive(%q, %q) = %v, want ok=%v", tc.code, tc.value, err, tc.ok)
			}
			if err != nil && !errors.Is(err, fhir.ErrPrimitive) {
				t.Errorf("error %v does not wrap ErrPrimitive", err)
			}
		})
	}
}

func ExampleCheckPrimitive() {
	fmt.Println(fhir.CheckPrimitive("date", "2024-02-29"))
	fmt.Println(fhir.CheckPrimitive("date", "2023-02-29"))
	// Output:
	// <nil>
	// invalid primitive value: date "2023-02-29" is not a calendar date
}
