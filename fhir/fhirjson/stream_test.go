package fhirjson_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"yigong/fhir"
	"yigong/fhir/fhirjson"
)

func TestDecoderLines(t *testing.T) {
	t.Parallel()
	long := `{"resourceType":"Patient","id":"` + strings.Repeat("a", 60) + `"}`
	in := "\n" + `{"resourceType":"Patient","id":"a"}` + "\r\n" + long + "\n" + `{"resourceType":"Patient","id":"b"}` // no final newline
	dec := fhirjson.NewDecoder(strings.NewReader(in))
	dec.SetMaxLineBytes(50)
	var got []string
	for {
		n, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if fhir.KindOf(err) != fhir.KindInvalid {
				t.Fatalf("line %d: %v", dec.Line(), err)
			}
			got = append(got, "error@"+strings.TrimSpace(string(rune('0'+dec.Line()))))
			continue
		}
		got = append(got, n.ID())
	}
	if strings.Join(got, " ") != "a error@3 b" {
		t.Errorf("got %q", strings.Join(got, " "))
	}
}
