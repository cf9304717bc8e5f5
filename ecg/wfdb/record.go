package wfdb

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"yigong/ecg"
)

// ReadRecord reads record name (without extension) from fsys: name.hea,
// its signal files, and, when annotator is not empty, name.annotator (for
// example "atr") as the record's beats and annotations. Signal file names in
// the header are relative to the header's directory.
func ReadRecord(fsys fs.FS, name, annotator string) (*ecg.Record, error) {
	dir := path.Dir(name)
	hb, err := readCapped(fsys, name+".hea", MaxHeaderSize)
	if err != nil {
		return nil, fmt.Errorf("wfdb: record %s: %w", name, err)
	}
	h, err := ParseHeader(hb)
	if err != nil {
		return nil, err
	}
	data := map[string][]byte{}
	for _, s := range h.Signals {
		if _, ok := data[s.FileName]; ok {
			continue
		}
		if s.FileName == "-" {
			return nil, fmt.Errorf("wfdb: record %s: signals on standard input: %w", name, errors.ErrUnsupported)
		}
		b, err := readCapped(fsys, path.Join(dir, s.FileName), MaxSignalSize)
		if err != nil {
			return nil, fmt.Errorf("wfdb: record %s: %w", name, err)
		}
		data[s.FileName] = b
	}
	var ann []Annotation
	if annotator != "" {
		ab, err := readCapped(fsys, name+"."+annotator, MaxAnnotationSize)
		if err != nil {
			return nil, fmt.Errorf("wfdb: record %s: %w", name, err)
		}
		if ann, err = ReadAnnotations(ab); err != nil {
			return nil, err
		}
	}
	return Decode(h, data, ann)
}

func readCapped(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", name, ecg.ErrTooLarge, limit)
	}
	return b, nil
}

// Decode builds a record from a parsed header, its signal files and
// (optionally) its annotations. Samples are converted to microvolts when the
// signal's units are mV, uV or V; other units are kept as physical values.
func Decode(h *Header, data map[string][]byte, ann []Annotation) (*ecg.Record, error) {
	raw, err := DecodeSignals(h, data)
	if err != nil {
		return nil, err
	}
	rec := &ecg.Record{Format: ecg.FormatWFDB, SampleRate: h.SampleRate}
	if h.HasDate {
		t := h.BaseTime
		rec.Start = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone("CST", 8*3600))
	}
	rec.Patient.ID = h.Name
	parseInfo(h.Info, &rec.Patient)
	for i, s := range h.Signals {
		scale := 1.0
		switch s.Units {
		case "mV":
			scale = 1000
		case "uV", "µV":
			scale = 1
		case "V":
			scale = 1e6
		}
		k := scale / s.Gain
		v := make([]float64, len(raw[i]))
		for j, x := range raw[i] {
			v[j] = float64(x-int32(s.Baseline)) * k
		}
		name := s.Description
		if name == "" {
			name = fmt.Sprintf("signal %d", i)
		}
		rec.Leads = append(rec.Leads, ecg.Lead{Name: ecg.NormalizeLeadName(name), Samples: v})
	}
	for _, a := range ann {
		t := time.Duration(math.Round(float64(a.Sample) / h.SampleRate * float64(time.Second)))
		if IsBeat(a.Code) {
			rec.Beats = append(rec.Beats, ecg.Beat{Sample: int(a.Sample), Time: t, Type: a.Mnemonic(), Code: a.Mnemonic(), Channel: a.Chan})
			continue
		}
		rec.Annotations = append(rec.Annotations, ecg.Annotation{Sample: int(a.Sample), Time: t, Code: a.Mnemonic(), Text: a.Aux, Channel: a.Chan})
	}
	return rec, nil
}

// parseInfo reads the MIT-BIH convention of a first info line "age sex ...".
func parseInfo(info []string, p *ecg.Patient) {
	if len(info) == 0 {
		return
	}
	f := strings.Fields(info[0])
	if len(f) < 2 {
		return
	}
	age, err := strconv.Atoi(f[0])
	if err != nil || age < 0 || age > 150 {
		return
	}
	switch f[1] {
	case "M":
		p.Sex = ecg.SexMale
	case "F":
		p.Sex = ecg.SexFemale
	default:
		return
	}
	p.Age = ecg.Quantity{Value: float64(age), Unit: "a"}
}
