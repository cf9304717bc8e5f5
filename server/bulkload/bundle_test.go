package bulkload

import "testing"

func TestPeekTop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, rt, bt string
		wantErr          bool
	}{
		{"type first", `{"resourceType":"Bundle","type":"transaction","entry":[{"a":1}]}`, "Bundle", "transaction", false},
		{"type after entries", `{"entry":[{"resource":{"type":"x","s":"a\"}b"}},{}], "resourceType" : "Bundle", "type": "batch"}`, "Bundle", "batch", false},
		{"resource", `{"resourceType":"Patient","active":true,"birthDate":"2000"}`, "Patient", "", false},
		{"numbers", `{"n":-1.5e3,"resourceType":"Observation"}`, "Observation", "", false},
		{"not an object", `[1,2]`, "", "", true},
		{"truncated", `{"resourceType":"Bundle","entry":[{`, "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, bt, err := peekTop([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if rt != tc.rt || bt != tc.bt {
				t.Errorf("got %q %q, want %q %q", rt, bt, tc.rt, tc.bt)
			}
		})
	}
}
