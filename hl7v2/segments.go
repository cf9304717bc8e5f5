package hl7v2

//go:generate go run ./internal/segmentgen -in segments.tsv -out segments_gen.go

// segmentDef and fieldDef hold the read-only generated segment table.
type segmentDef struct {
	desc   string
	fields []fieldDef
}

type fieldDef struct {
	name   string
	typ    string
	repeat bool
}

// FieldInfo describes field n of a known segment: its v2.5.1 name, data type
// and whether it repeats; ok is false for unknown segments or positions.
// It is what an ERR-8 message or a log line uses to name a field.
func FieldInfo(segment string, n int) (name, dataType string, repeats, ok bool) {
	def, found := segmentTable[segment]
	if !found || n <= 0 || n > len(def.fields) {
		return "", "", false, false
	}
	f := def.fields[n-1]
	return f.name, f.typ, f.repeat, true
}

// SegmentDescription returns the name of a known segment ("PID" gives
// "Patient Identification").
func SegmentDescription(segment string) string { return segmentTable[segment].desc }

// repeated parses every repetition of f.
func repeated[T any](f Field, parse func(Value) T) []T {
	reps := f.Repetitions()
	if len(reps) == 0 {
		return nil
	}
	out := make([]T, len(reps))
	for i, r := range reps {
		out[i] = parse(r)
	}
	return out
}
